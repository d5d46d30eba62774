import { defineConfig, globalIgnores } from "eslint/config";
import nextVitals from "eslint-config-next/core-web-vitals";
import nextTs from "eslint-config-next/typescript";

/**
 * Where code runs decides what it may import: the browser's code (components/, lib/client/) sees
 * only lib/shared/ and lib/client/; lib/shared/ sees only itself. Server modules (lib/<area>/)
 * also start with `import "server-only"`, so a stray import fails the build as well as the lint.
 */
const browserImports = {
  group: ["@/lib/**", "!@/lib/shared", "!@/lib/shared/**", "!@/lib/client", "!@/lib/client/**"],
  message: "Code that runs in the browser may import only lib/shared and lib/client: server modules must not reach the page.",
};
const sharedImports = {
  group: ["@/lib/**", "!@/lib/shared", "!@/lib/shared/**", "@/components/**"],
  message: "lib/shared is used by the server and the browser alike: it imports only lib/shared.",
};

export default defineConfig([
  ...nextVitals,
  ...nextTs,
  {
    files: ["components/**", "lib/client/**"],
    rules: { "no-restricted-imports": ["error", { patterns: [browserImports] }] },
  },
  {
    files: ["lib/shared/**"],
    rules: { "no-restricted-imports": ["error", { patterns: [sharedImports] }] },
  },
  globalIgnores([".next/**", ".next-*/**", "test-results/**", "playwright-report/**", "next-env.d.ts"]),
]);
