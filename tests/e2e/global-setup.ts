import { startFakeModelServer } from "../helpers/fake-model-server";
import { FAKE_MODEL_PORT } from "./e2e-env";

/**
 * Runs the fake model server (Gemini and OpenAI Chat Completions) for the whole Playwright run on a
 * fixed loopback port: the Next server is told its address before any test runs, and the specs,
 * in worker processes, script it through its control API (tests/e2e/fake-control.ts).
 */
export default async function globalSetup(): Promise<() => Promise<void>> {
  const fake = await startFakeModelServer({ port: FAKE_MODEL_PORT });
  return () => fake.close();
}
