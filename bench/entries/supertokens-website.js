export * from "supertokens-website";
export { default } from "supertokens-website";
