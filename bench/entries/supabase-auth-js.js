export * from "@supabase/auth-js";
