export * from "@auth0/auth0-spa-js";
