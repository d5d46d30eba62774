import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A local stand-in for the Gemini API that speaks its wire protocol:
 * `POST /v1beta/models/{model}:streamGenerateContent?alt=sse` answered with `data: {json}` server-sent
 * events, or with Google's JSON error body. Tests script each reply and read back what the SDK sent.
 */

export interface GeminiPart {
  text?: string;
  thought?: boolean;
  inlineData?: { mimeType: string; data: string };
}

export interface GeminiRequestBody {
  contents: Array<{ role: string; parts: GeminiPart[] }>;
  systemInstruction?: { parts: GeminiPart[] };
  generationConfig?: Record<string, unknown>;
}

export interface RecordedGeminiRequest {
  model: string;
  apiKey: string | undefined;
  body: GeminiRequestBody;
}

export type GeminiReply =
  /** Each chunk is one `GenerateContentResponse` JSON, sent `delayMs` apart. */
  | { kind: "stream"; chunks: object[]; delayMs?: number; hangAfter?: boolean; dropAfter?: boolean }
  | { kind: "error"; status: number; body: object };

export interface FakeGemini {
  url: string;
  requests: RecordedGeminiRequest[];
  /** Sets the reply to every following request, or to the next ones in order when given several. */
  reply(...replies: GeminiReply[]): void;
  /** Resolves when a connection the fake was streaming on is closed by the client. */
  nextClientDisconnect(): Promise<void>;
  close(): Promise<void>;
}

const STREAM_PATH = /^\/v1beta\/models\/([^/:]+):streamGenerateContent$/;

export async function startFakeGemini(): Promise<FakeGemini> {
  const requests: RecordedGeminiRequest[] = [];
  let queue: GeminiReply[] = [textReply(["Hello from the fake model."])];
  let disconnectWaiters: Array<() => void> = [];

  const server = http.createServer(async (request, response) => {
    const url = new URL(request.url ?? "/", "http://fake");
    const match = STREAM_PATH.exec(url.pathname);
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    if (request.method !== "POST" || !match || url.searchParams.get("alt") !== "sse") {
      sendJson(response, 404, { error: { code: 404, message: `No route ${request.method} ${url.pathname}`, status: "NOT_FOUND" } });
      return;
    }
    requests.push({
      model: decodeURIComponent(match[1]!),
      apiKey: request.headers["x-goog-api-key"] as string | undefined,
      body: JSON.parse(Buffer.concat(chunks).toString("utf8")) as GeminiRequestBody,
    });
    const reply = queue.length > 1 ? queue.shift()! : queue[0]!;
    if (reply.kind === "error") {
      sendJson(response, reply.status, reply.body);
      return;
    }
    let clientGone = false;
    response.on("close", () => {
      if (response.writableFinished) return;
      clientGone = true;
      const waiters = disconnectWaiters;
      disconnectWaiters = [];
      waiters.forEach((resolve) => resolve());
    });
    response.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-cache" });
    response.flushHeaders();
    for (const chunk of reply.chunks) {
      if (clientGone) return;
      response.write(`data: ${JSON.stringify(chunk)}\r\n\r\n`);
      if (reply.delayMs) await sleep(reply.delayMs);
    }
    if (reply.dropAfter) response.socket?.destroy();
    else if (!reply.hangAfter) response.end();
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    reply: (...replies) => {
      queue = replies;
    },
    nextClientDisconnect: () => new Promise((resolve) => disconnectWaiters.push(resolve)),
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, "close");
    },
  };
}

/** A streamed answer: one chunk per piece of text, the last with a finish reason and usage. */
export function textReply(pieces: string[], options: { delayMs?: number; finishReason?: string } = {}): GeminiReply {
  const chunks: object[] = pieces.map((text) => ({ candidates: [{ content: { role: "model", parts: [{ text }] }, index: 0 }] }));
  chunks.push({
    candidates: [{ content: { role: "model", parts: [{ text: "" }] }, finishReason: options.finishReason ?? "STOP", index: 0 }],
    usageMetadata: { promptTokenCount: 1290, candidatesTokenCount: 42, totalTokenCount: 1332 },
  });
  return { kind: "stream", chunks, delayMs: options.delayMs };
}

/** Google's error body, as the real API sends it. */
export function errorReply(status: number, message: string, statusName: string, details: object[] = []): GeminiReply {
  return { kind: "error", status, body: { error: { code: status, message, status: statusName, details } } };
}

function sendJson(response: http.ServerResponse, status: number, body: object) {
  response.writeHead(status, { "Content-Type": "application/json; charset=UTF-8" });
  response.end(JSON.stringify(body));
}

function sleep(ms: number) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
