import type { FakeReply, RecordedRequestSummary } from "../helpers/fake-model-server";
import { FAKE_MODEL_URL } from "./e2e-env";

/**
 * The specs' side of the fake model server's control API (tests/helpers/fake-model-server.ts); the
 * server itself runs in tests/e2e/global-setup.ts.
 */
export const fakeModel = {
  /** The replies to the following model calls of each protocol they are for, in order. */
  reply: (replies: FakeReply[]) => post("/__control/reply", { replies }),
  /** Lets a stream paused by a reply's `holdAfter` continue. */
  release: () => post("/__control/release"),
  /** Default replies, no held streams, no recorded requests. */
  reset: () => post("/__control/reset"),
  /** What the SDKs sent, image data replaced by its length. */
  requests: () => get<RecordedRequestSummary[]>("/__control/requests"),
  /** How many streams the client (the Next server) closed before their end, since the last reset. */
  disconnects: async () => (await get<{ count: number }>("/__control/disconnects")).count,
};

async function get<T>(path: string): Promise<T> {
  const response = await fetch(`${FAKE_MODEL_URL}${path}`);
  if (!response.ok) throw new Error(`fake model control ${path}: HTTP ${response.status}`);
  return (await response.json()) as T;
}

async function post(path: string, body?: object): Promise<void> {
  const response = await fetch(`${FAKE_MODEL_URL}${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!response.ok) throw new Error(`fake model control ${path}: HTTP ${response.status} ${await response.text()}`);
}
