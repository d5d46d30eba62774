import type { GeminiReply } from "../helpers/fake-gemini";
import { FAKE_GEMINI_URL } from "./e2e-env";
import type { RecordedRequestSummary } from "./global-setup";

/** The specs' side of the control API that global-setup.ts puts in front of the fake Gemini. */
export const fakeGemini = {
  /** The reply to the following model calls; `holdAfterEvents` pauses the next stream there. */
  reply: (replies: GeminiReply[], options: { holdAfterEvents?: number } = {}) =>
    post("/__control/reply", { replies, ...options }),
  /** Lets a stream paused by `holdAfterEvents` continue. */
  release: () => post("/__control/release"),
  reset: () => post("/__control/reset"),
  async requests(): Promise<RecordedRequestSummary[]> {
    const response = await fetch(`${FAKE_GEMINI_URL}/__control/requests`);
    if (!response.ok) throw new Error(`fake Gemini control: HTTP ${response.status}`);
    return (await response.json()) as RecordedRequestSummary[];
  },
};

async function post(path: string, body?: object): Promise<void> {
  const response = await fetch(`${FAKE_GEMINI_URL}${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!response.ok) throw new Error(`fake Gemini control ${path}: HTTP ${response.status} ${await response.text()}`);
}
