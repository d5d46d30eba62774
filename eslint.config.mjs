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
/**
 * The offline analyzer is used through its entry point, lib/offline/index.ts: what lies behind it
 * can move without touching its users. Its tests and benchmarks reach inside on purpose.
 */
const offlineImports = {
  group: ["@/lib/offline/**"],
  message: 'The offline analyzer is used through its entry point: import from "@/lib/offline".',
};
const sharedImports = {
  group: ["@/lib/**", "!@/lib/shared", "!@/lib/shared/**", "@/components/**"],
  message: "lib/shared is used by the server and the browser alike: it imports only lib/shared.",
};

export default defineConfig([
  ...nextVitals,
  ...nextTs,
  // First: the rules below replace this one for their files, and forbid lib/offline there anyway.
  {
    ignores: ["lib/offline/**", "tests/**", "bench/**"],
    rules: { "no-restricted-imports": ["error", { patterns: [offlineImports] }] },
  },
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
