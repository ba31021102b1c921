// Vitest for unit/: the way a user's own unit tests run (a DOM from happy-dom, in Node).
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: { environment: "happy-dom", include: ["unit/**/*.test.js"] },
});
