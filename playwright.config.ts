import { defineConfig } from "@playwright/test";
import { APP_PORT, APP_URL, E2E_API_KEY, E2E_DATA_DIR, E2E_MODEL, E2E_OPENAI_BASE_URL, E2E_OPENAI_MODEL, FAKE_MODEL_URL } from "./tests/e2e/e2e-env";
import {
  OIDC_ADMIN,
  OIDC_ALLOWED_DOMAIN,
  OIDC_APP_PORT,
  OIDC_APP_URL,
  OIDC_AUTH_SECRET,
  OIDC_CLIENT_ID,
  OIDC_CLIENT_SECRET,
  OIDC_DATA_DIR,
  OIDC_ISSUER,
} from "./tests/e2e/oidc-env";
import { APP_SETTING_VARIABLES, TEST_DIST_DIR } from "./tests/helpers/next-server";

/**
 * Browser end-to-end tests against the production build, answered by a fake model server that
 * speaks both Gemini and OpenAI Chat Completions: the app is configured with both, Gemini default.
 *
 *   NEXT_DIST_DIR=.next-test npx next build   # once, after changing the app
 *   npx playwright test
 *
 * Playwright starts `webServer` before `globalSetup`; that is fine because the Next server calls
 * the fake (started in tests/e2e/global-setup.ts) only when a test asks for an analysis.
 *
 * The oidc-*.spec.ts specs run in a project of their own against a second server, in
 * AUTH_MODE=oidc, which signs people in through a real OpenID provider started before it
 * (tests/e2e/oidc-server.ts); it offers the offline analyzer only.
 */

// The runner's own model settings must not leak into the server under test (webServer merges
// process.env under `env`); the app treats an empty value as unset.
const inheritedModelSettings = Object.fromEntries(
  Object.keys(process.env)
    .filter((key) => APP_SETTING_VARIABLES.test(key))
    .map((key) => [key, ""]),
);

/** The specs that run against the oidc server (and only there). */
const OIDC_SPECS = /oidc-.*\.spec\.ts$/;

export default defineConfig({
  testDir: "tests/e2e",
  testMatch: "**/*.spec.ts",
  outputDir: "test-results",
  globalSetup: "./tests/e2e/global-setup.ts",
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: !!process.env.CI,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [["list"], ["html", { open: "never", outputFolder: "playwright-report" }]],
  use: {
    baseURL: APP_URL,
    browserName: "chromium",
    viewport: { width: 1280, height: 900 },
    screenshot: "only-on-failure",
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--headless",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    },
  },
  projects: [
    { name: "chromium", testIgnore: OIDC_SPECS },
    { name: "oidc", testMatch: OIDC_SPECS, use: { baseURL: OIDC_APP_URL } },
  ],
  webServer: [
    nextServer(APP_PORT, APP_URL, {
      GEMINI_API_KEY: E2E_API_KEY,
      GEMINI_MODEL: E2E_MODEL,
      GEMINI_BASE_URL: FAKE_MODEL_URL,
      OPENAI_BASE_URL: E2E_OPENAI_BASE_URL,
      OPENAI_MODEL: E2E_OPENAI_MODEL,
      MODEL_MAX_RETRIES: "0",
      // A small image store, so a spec can make the server let a kept image go by analysing two
      // others of about 0.7 MiB each (tests/e2e/conversation.spec.ts); the diagrams the other
      // specs use are 16 KB.
      IMAGE_CACHE_MB: "1",
      IMAGE_CACHE_MINUTES: "30",
      // The offline specs check what the analyzer reads, not its time budget (tests/integration/
      // admission.test.ts does): on a busy CI machine, 8 s of OCR can run out mid-diagram.
      OCR_TIME_BUDGET_SECONDS: "60",
      // The history (SQLite) in a temporary folder of this run's own: never ./data. Every spec
      // saves into it, one after another, so specs find their conversations by their own text.
      DATA_DIR: E2E_DATA_DIR,
    }),
    {
      command: "node node_modules/tsx/dist/cli.mjs tests/e2e/oidc-server.ts",
      url: `${OIDC_ISSUER}/.well-known/openid-configuration`,
      reuseExistingServer: false,
      timeout: 30_000,
      stdout: "ignore",
      stderr: "pipe",
      env: { E2E_OIDC_CLIENT_SECRET: OIDC_CLIENT_SECRET },
    },
    nextServer(OIDC_APP_PORT, OIDC_APP_URL, {
      AUTH_MODE: "oidc",
      AUTH_SECRET: OIDC_AUTH_SECRET,
      PUBLIC_URL: OIDC_APP_URL,
      OIDC_ISSUER,
      OIDC_CLIENT_ID,
      OIDC_CLIENT_SECRET,
      AUTH_ADMINS: OIDC_ADMIN.email,
      AUTH_ALLOWED_DOMAINS: OIDC_ALLOWED_DOMAIN,
      SHARE_PUBLIC: "true",
      // Two analyses a minute per person: a spec goes over it (the others ask at most twice).
      LIMIT_REQUESTS_PER_MINUTE: "2",
      OCR_TIME_BUDGET_SECONDS: "60",
      DATA_DIR: OIDC_DATA_DIR,
    }),
  ],
});

/** The production build started on 127.0.0.1, with the runner's own app settings blanked and these instead. */
function nextServer(port: number, url: string, env: Record<string, string>) {
  return {
    command: `node node_modules/next/dist/bin/next start -H 127.0.0.1 -p ${port}`,
    url: `${url}/api/health`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: "ignore" as const,
    stderr: "pipe" as const,
    env: { ...inheritedModelSettings, NEXT_DIST_DIR: TEST_DIST_DIR, ...env },
  };
}
