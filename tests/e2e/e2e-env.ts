import { randomBytes } from "node:crypto";
import os from "node:os";
import path from "node:path";

/**
 * Addresses shared by playwright.config.ts, the global setup and the specs. Fixed loopback ports,
 * because the Next server is told the fake's address in its environment before any test runs;
 * override them when something else already listens there.
 */
export const FAKE_MODEL_PORT = Number(process.env.E2E_FAKE_MODEL_PORT ?? 4317);
export const FAKE_MODEL_URL = `http://127.0.0.1:${FAKE_MODEL_PORT}`;

export const APP_PORT = Number(process.env.E2E_APP_PORT ?? 3107);
export const APP_URL = `http://127.0.0.1:${APP_PORT}`;

/** The Gemini model the server is configured with (its default provider), shown back in the page. */
export const E2E_MODEL = "gemini-3-e2e";
export const E2E_API_KEY = "e2e-key";

/** The OpenAI-compatible server's model: the fake again, at /v1, with no key, like a local server. */
export const E2E_OPENAI_MODEL = "vision-e2e";
export const E2E_OPENAI_BASE_URL = `${FAKE_MODEL_URL}/v1`;
/** How the page names it: the model and the server's host. */
export const E2E_OPENAI_LABEL = `${E2E_OPENAI_MODEL} · 127.0.0.1:${FAKE_MODEL_PORT}`;

/**
 * Where the server under test keeps its history (SQLite): a folder of this run's own, never
 * ./data. Chosen once by the runner and inherited by its workers through the environment; the
 * server creates it, and the global setup's teardown removes it.
 */
export const E2E_DATA_DIR: string = (process.env.E2E_DATA_DIR ??= path.join(os.tmpdir(), `mra-e2e-data-${process.pid}-${randomBytes(4).toString("hex")}`));
