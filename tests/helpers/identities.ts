import type { AnalyzeEvent } from "@/lib/shared/analyze-contract";
import { readAnalyzeEvents } from "@/tests/helpers/analyze-events";

/**
 * Requests as a given person on a server in AUTH_MODE=proxy. The test client connects from
 * 127.0.0.1, inside the default AUTH_TRUSTED_PROXIES (loopback), so to the server it is the team's
 * reverse proxy: a person is just the header it passes. `signedOut` sends no header at all.
 */

export const ALICE = "alice@example.com";
export const BOB = "bob@example.com";
/** AUTH_PROXY_HEADER's default. */
export const PROXY_HEADER = "X-Forwarded-Email";

export interface ServerAddress {
  url: string;
}

export interface Person {
  /** Undefined for a visitor who is not signed in. */
  email: string | undefined;
  /** A request to the server's `path` (with its query), as this person. */
  request(path: string, init?: RequestInit): Promise<Response>;
  /** A JSON request (the body serialised, Content-Type set). */
  json(path: string, method: string, body: unknown): Promise<Response>;
  /** POST /api/analyze with these form fields and, for a new conversation, an image. */
  analyze(fields: Record<string, string>, image?: Uint8Array): Promise<Response>;
}

/** Requests on `server` carrying `email` in the proxy's header (or none when it is undefined). */
export function personOn(server: ServerAddress, email: string | undefined, header = PROXY_HEADER): Person {
  const request = (path: string, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    if (email !== undefined) headers.set(header, email);
    return fetch(`${server.url}${path}`, { redirect: "manual", ...init, headers });
  };
  return {
    email,
    request,
    json: (path, method, body) => request(path, { method, body: JSON.stringify(body), headers: { "Content-Type": "application/json" } }),
    analyze: (fields, image) => request("/api/analyze", { method: "POST", body: analyzeForm(fields, image) }),
  };
}

export function signedOutOn(server: ServerAddress): Person {
  return personOn(server, undefined);
}

/** The multipart body of an analyze request. */
export function analyzeForm(fields: Record<string, string>, image?: Uint8Array): FormData {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  if (image) form.append("image", new Blob([new Uint8Array(image)], { type: "image/png" }), "diagram.png");
  return form;
}

/** The ids an answer's `meta` event gives out: the saved conversation and turn, and the kept image. */
export interface AnswerIds {
  conversationId: string;
  turnId: string;
  imageId: string | undefined;
}

export interface Answer {
  ids: AnswerIds;
  events: AnalyzeEvent[];
  text: string;
}

/** Reads a 200 answer to its end; throws (with the body) on any other status, or without saved ids. */
export async function answerOf(response: Response): Promise<Answer> {
  if (response.status !== 200) throw new Error(`Expected an answer, got ${response.status}: ${await response.text()}`);
  const events: AnalyzeEvent[] = [];
  for await (const event of readAnalyzeEvents(response.body!)) events.push(event);
  const meta = events[0];
  if (meta?.event !== "meta" || !meta.data.conversationId || !meta.data.turnId) throw new Error(`An answer without saved ids: ${JSON.stringify(events)}`);
  const last = events.at(-1);
  if (last?.event !== "done") throw new Error(`An answer that did not finish: ${JSON.stringify(last)}`);
  return {
    ids: { conversationId: meta.data.conversationId, turnId: meta.data.turnId, imageId: meta.data.imageId },
    events,
    text: events.flatMap((event) => (event.event === "delta" ? [event.data.text] : [])).join(""),
  };
}

/** An error response's status and code, for comparing refusals. */
export async function refusalOf(response: Response): Promise<{ status: number; code: string | undefined }> {
  const text = await response.text();
  let code: string | undefined;
  try {
    code = (JSON.parse(text) as { error?: { code?: string } }).error?.code;
  } catch {
    code = undefined;
  }
  return { status: response.status, code };
}
