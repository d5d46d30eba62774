import { afterEach, beforeEach, vi } from "vitest";

/** One request the page's code made, as the fake fetch saw it. */
export interface SentRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: BodyInit | null | undefined;
  credentials: RequestCredentials | undefined;
}

/**
 * The network for a test file, played by a fake `fetch`: each request is recorded in `sent`, and
 * answered by the next of `answers` (a Response, or an Error to throw as a network failure).
 * An aborted signal rejects as fetch does.
 */
export function installFakeFetch(): { sent: SentRequest[]; answers: Array<Response | Error> } {
  const network = { sent: [] as SentRequest[], answers: [] as Array<Response | Error> };
  beforeEach(() => {
    network.sent.length = 0;
    network.answers.length = 0;
    vi.stubGlobal("fetch", async (url: string, init: RequestInit = {}) => {
      network.sent.push({
        url,
        method: init.method ?? "GET",
        headers: Object.fromEntries(new Headers(init.headers).entries()),
        body: init.body,
        credentials: init.credentials,
      });
      if (init.signal?.aborted) throw new DOMException("The operation was aborted.", "AbortError");
      const answer = network.answers.shift();
      if (!answer) throw new Error(`no answer scripted for ${url}`);
      if (answer instanceof Error) throw answer;
      return answer;
    });
  });
  afterEach(() => {
    vi.unstubAllGlobals();
  });
  return network;
}
