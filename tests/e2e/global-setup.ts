import { rm } from "node:fs/promises";
import { startFakeModelServer } from "../helpers/fake-model-server";
import { E2E_DATA_DIR, FAKE_MODEL_PORT } from "./e2e-env";

/**
 * Runs the fake model server (Gemini and OpenAI Chat Completions) for the whole Playwright run on a
 * fixed loopback port: the Next server is told its address before any test runs, and the specs,
 * in worker processes, script it through its control API (tests/e2e/fake-control.ts).
 * Afterwards, it removes the history the server saved.
 */
export default async function globalSetup(): Promise<() => Promise<void>> {
  const fake = await startFakeModelServer({ port: FAKE_MODEL_PORT });
  return async () => {
    await fake.close();
    // The history the server under test saved (its folder is this run's own: see e2e-env.ts).
    await rm(E2E_DATA_DIR, { recursive: true, force: true });
  };
}
