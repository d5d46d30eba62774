/**
 * Addresses shared by playwright.config.ts, the global setup and the specs. Fixed loopback ports,
 * because the Next server is told the fake's address in its environment before any test runs;
 * override them when something else already listens there.
 */
export const FAKE_GEMINI_PORT = Number(process.env.E2E_FAKE_GEMINI_PORT ?? 4317);
export const FAKE_GEMINI_URL = `http://127.0.0.1:${FAKE_GEMINI_PORT}`;

export const APP_PORT = Number(process.env.E2E_APP_PORT ?? 3107);
export const APP_URL = `http://127.0.0.1:${APP_PORT}`;

/** The model name the server is configured with, shown back in the page. */
export const E2E_MODEL = "gemini-e2e";
export const E2E_API_KEY = "e2e-key";
