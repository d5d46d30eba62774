import { once } from "node:events";
import http from "node:http";
import net, { type AddressInfo } from "node:net";
// The protocol modules import only types from here, so these imports make no cycle.
import * as gemini from "@/tests/helpers/fake-gemini";
import type { GeminiRequestBody } from "@/tests/helpers/fake-gemini";
import * as openai from "@/tests/helpers/fake-openai";
import type { OpenAIContentPart, OpenAIRequestBody } from "@/tests/helpers/fake-openai";

/**
 * One local stand-in for every model API the app talks to, on 127.0.0.1, speaking their real wire
 * protocols so the real SDKs can be pointed at it:
 *
 * - Gemini: `POST /v1beta/models/{model}:streamGenerateContent?alt=sse`, key in `x-goog-api-key`,
 *   answered with `data: {json}\r\n\r\n` events (base URL: `url`).
 * - OpenAI Chat Completions: `POST /v1/chat/completions` with `stream: true`, key in
 *   `Authorization: Bearer`, answered with `data: {json}\n\n` chunks and `data: [DONE]\n\n`
 *   (base URL: `openaiBaseUrl`).
 *
 * Tests script the replies (see fake-gemini.ts and fake-openai.ts for builders) and read back what
 * each SDK sent. Other processes (the Playwright specs) do the same through the control API:
 *
 * - `POST /__control/reply` `{ replies: FakeReply[] }`: as `reply(...replies)`.
 * - `POST /__control/release`: as `release()`.
 * - `POST /__control/reset`: as `reset()`.
 * - `GET /__control/requests`: the recorded requests, summarised, image data replaced by its length.
 * - `GET /__control/disconnects`: `{ count }`, how many streams the client closed before their end
 *   since the last reset.
 */

export type Protocol = "gemini" | "openai";

export type RecordedRequest =
  | { protocol: "gemini"; model: string; apiKey: string | undefined; body: GeminiRequestBody }
  | { protocol: "openai"; model: string; apiKey: string | undefined; body: OpenAIRequestBody };

export type RecordedRequestOf<P extends Protocol> = Extract<RecordedRequest, { protocol: P }>;

export interface StreamReply {
  protocol: Protocol;
  kind: "stream";
  /** One protocol-specific JSON object per server-sent event, in order. */
  chunks: object[];
  /** Pause between events. */
  delayMs?: number;
  /** Keep the connection open after the last chunk, sending nothing more (no end marker). */
  hangAfter?: boolean;
  /**
   * Send the whole stream, end marker (OpenAI's `[DONE]`) included, then keep the connection open
   * instead of ending the response, as a proxy or server that never closes a finished stream does.
   */
  keepOpenAfterEnd?: boolean;
  /** Destroy the connection after the last chunk, as a crashing server or a proxy would. */
  dropAfter?: boolean;
  /**
   * Stop after this many events (chunks, then OpenAI's `[DONE]`) until `release()`. The response
   * headers go out at once even with 0: the model has accepted the request and is thinking.
   */
  holdAfter?: number;
  /**
   * Send nothing, not even the response headers, until `release()`: a model server that has not
   * accepted the request (overloaded, or a proxy queueing it).
   */
  holdHeaders?: boolean;
}

export interface ErrorReply {
  protocol: Protocol;
  kind: "error";
  status: number;
  /** Sent as JSON; a string is sent as it is (a proxy's HTML page, say). */
  body: object | string;
  headers?: Record<string, string>;
}

export type FakeReply = StreamReply | ErrorReply;

/** What `GET /__control/requests` returns for each request: JSON-safe and small. */
export interface RecordedRequestSummary {
  protocol: Protocol;
  model: string;
  apiKey: string | undefined;
  /** The question this request asks: the text of its latest user turn. */
  prompt: string | undefined;
  /** How many user turns the conversation has: 1 for a first question, 2 for the first follow-up… */
  userTurns: number;
  systemInstruction: string | undefined;
  /** The first image in the conversation. */
  image: { mimeType: string; base64Length: number } | undefined;
  /** How many images the whole conversation carries (a follow-up should still carry one). */
  imageCount: number;
  /** The conversation sent, system instruction apart: each message's role and its text parts joined. */
  turns: Array<{ role: string; text: string }>;
  /** Gemini's `generationConfig.thinkingConfig`, as sent. */
  thinkingConfig?: Record<string, unknown>;
}

export interface FakeModelServer {
  /** `http://127.0.0.1:{port}`: Gemini's base URL. */
  url: string;
  /** `{url}/v1`: what OPENAI_BASE_URL points at. */
  openaiBaseUrl: string;
  /** Every model call, in arrival order. */
  readonly requests: readonly RecordedRequest[];
  requestsFor<P extends Protocol>(protocol: P): RecordedRequestOf<P>[];
  /**
   * Scripts the following requests of each protocol a reply is for: the replies are used in order
   * and the last one stays for every request after it. Protocols without a reply here keep theirs.
   */
  reply(...replies: FakeReply[]): void;
  /** Lets every stream paused by `holdAfter` continue. */
  release(): void;
  /** The default replies, no recorded requests, no held streams. */
  reset(): void;
  /** Resolves when the client closes a connection the fake was still streaming on. */
  nextClientDisconnect(): Promise<void>;
  /** How many streams the client closed before their end, since the last reset. */
  readonly clientDisconnects: number;
  summarise(): RecordedRequestSummary[];
  close(): Promise<void>;
}

export const DEFAULT_ANSWER = "Hello from the fake model.";

/** What a protocol looks like on the wire; everything else in the server is shared. */
interface WireProtocol {
  /** The model a request is for, when the path is this protocol's; null otherwise. */
  match(method: string, url: URL, body: unknown): string | null;
  apiKey(request: http.IncomingMessage): string | undefined;
  /** A reason to refuse a request the real server would refuse, before any reply is used. */
  refuse?(body: unknown): string | undefined;
  event(chunk: object): string;
  /** Sent after the last chunk of a complete stream. */
  end?: string;
  /** Whether a scripted chunk is sent for this request. */
  sends?(chunk: object, body: unknown): boolean;
  summarise(body: unknown): Omit<RecordedRequestSummary, "protocol" | "model" | "apiKey">;
}

const GEMINI_PATH = /^\/v1beta\/models\/([^/:]+):streamGenerateContent$/;

const PROTOCOLS: Record<Protocol, WireProtocol> = {
  gemini: {
    match: (method, url) => {
      const model = GEMINI_PATH.exec(url.pathname)?.[1];
      return method === "POST" && model && url.searchParams.get("alt") === "sse" ? decodeURIComponent(model) : null;
    },
    apiKey: (request) => header(request, "x-goog-api-key"),
    event: (chunk) => `data: ${JSON.stringify(chunk)}\r\n\r\n`,
    summarise: (body) => {
      const { contents, systemInstruction, generationConfig } = body as GeminiRequestBody;
      const userTurns = contents.filter((content) => content.role === "user");
      const images = contents.flatMap((content) => content.parts).flatMap((part) => (part.inlineData ? [part.inlineData] : []));
      const thinkingConfig = generationConfig?.thinkingConfig as Record<string, unknown> | undefined;
      return {
        prompt: userTurns.at(-1)?.parts.find((part) => typeof part.text === "string")?.text,
        userTurns: userTurns.length,
        systemInstruction: systemInstruction?.parts[0]?.text,
        image: images[0] ? { mimeType: images[0].mimeType, base64Length: images[0].data.length } : undefined,
        imageCount: images.length,
        turns: contents.map((content) => ({ role: content.role, text: textOf(content.parts.map((part) => part.text)) })),
        ...(thinkingConfig ? { thinkingConfig } : {}),
      };
    },
  },
  openai: {
    match: (method, url, body) =>
      method === "POST" && url.pathname === "/v1/chat/completions" ? String((body as OpenAIRequestBody).model) : null,
    apiKey: (request) => /^Bearer (.*)$/.exec(header(request, "authorization") ?? "")?.[1],
    refuse: (body) => ((body as OpenAIRequestBody).stream === true ? undefined : "The fake only answers with `stream: true`."),
    event: (chunk) => `data: ${JSON.stringify(chunk)}\n\n`,
    end: "data: [DONE]\n\n",
    // Like OpenAI, the usage-only chunk (no choices) goes only to requests that asked for usage.
    sends: (chunk, body) =>
      !isUsageOnlyChunk(chunk) || (body as OpenAIRequestBody).stream_options?.include_usage === true,
    summarise: (body) => {
      const { messages } = body as OpenAIRequestBody;
      const system = messages.find((message) => message.role === "system")?.content;
      const partsOf = (content: string | OpenAIContentPart[]) =>
        typeof content === "string" ? [{ type: "text" as const, text: content }] : content;
      const userTurns = messages.filter((message) => message.role === "user").map((message) => partsOf(message.content));
      const images = userTurns.flat().flatMap((part) => {
        const dataUrl = part.type === "image_url" ? /^data:([^;,]+);base64,(.*)$/s.exec(part.image_url?.url ?? "") : null;
        return dataUrl ? [{ mimeType: dataUrl[1]!, base64Length: dataUrl[2]!.length }] : [];
      });
      const conversation = messages.filter((message) => message.role !== "system");
      return {
        prompt: userTurns.at(-1)?.find((part) => part.type === "text")?.text,
        userTurns: userTurns.length,
        systemInstruction: typeof system === "string" ? system : undefined,
        image: images[0],
        imageCount: images.length,
        turns: conversation.map((message) => ({ role: message.role, text: textOf(partsOf(message.content).map((part) => part.text)) })),
      };
    },
  },
};

interface Gate {
  afterEvents: number;
  opened: Promise<void>;
  open(): void;
}

export async function startFakeModelServer(options: { port?: number } = {}): Promise<FakeModelServer> {
  const requests: RecordedRequest[] = [];
  const queues = defaultQueues();
  const gates = new Set<Gate>();
  let disconnectWaiters: Array<() => void> = [];
  let clientDisconnects = 0;

  const openGates = () => {
    for (const gate of gates) gate.open();
    gates.clear();
  };

  const fake: FakeModelServer = {
    url: "",
    openaiBaseUrl: "",
    requests,
    requestsFor: <P extends Protocol>(protocol: P) =>
      requests.filter((request): request is RecordedRequestOf<P> => request.protocol === protocol),
    reply: (...replies) => {
      const unknown = replies.find((reply) => !Object.hasOwn(PROTOCOLS, reply.protocol));
      if (unknown) throw new Error(`A reply needs a protocol (gemini or openai), got ${JSON.stringify(unknown.protocol)}`);
      for (const protocol of Object.keys(PROTOCOLS) as Protocol[]) {
        const mine = replies.filter((reply) => reply.protocol === protocol);
        if (mine.length > 0) queues[protocol] = mine;
      }
    },
    release: openGates,
    reset: () => {
      openGates();
      Object.assign(queues, defaultQueues());
      requests.length = 0;
      clientDisconnects = 0;
    },
    nextClientDisconnect: () => new Promise((resolve) => disconnectWaiters.push(resolve)),
    get clientDisconnects() {
      return clientDisconnects;
    },
    summarise: () =>
      requests.map(({ protocol, model, apiKey, body }) => ({ protocol, model, apiKey, ...PROTOCOLS[protocol].summarise(body) })),
    close: async () => {
      openGates();
      server.closeAllConnections();
      server.close();
      await once(server, "close");
    },
  };

  const server = http.createServer((request, response) => {
    void handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) sendJson(response, 500, { error: { message: `fake model server: ${String(error)}` } });
      else response.destroy();
    });
  });

  async function handle(request: http.IncomingMessage, response: http.ServerResponse) {
    const url = new URL(request.url ?? "/", "http://fake");
    const text = await readBody(request);
    if (url.pathname.startsWith("/__control/")) {
      control(`${request.method} ${url.pathname}`, text, response);
      return;
    }
    const body = parseJson(text);
    const method = request.method ?? "GET";
    for (const [protocol, wire] of Object.entries(PROTOCOLS) as Array<[Protocol, WireProtocol]>) {
      const model = body === undefined ? null : wire.match(method, url, body);
      if (model === null) continue;
      requests.push({ protocol, model, apiKey: wire.apiKey(request), body } as RecordedRequest);
      const refusal = wire.refuse?.(body);
      if (refusal) {
        sendJson(response, 400, { error: { message: refusal } });
        return;
      }
      const queue = queues[protocol];
      const reply = queue.length > 1 ? queue.shift()! : queue[0]!;
      if (reply.kind === "error") sendError(response, reply);
      else await stream(response, reply, wire, body);
      return;
    }
    sendJson(response, 404, { error: { code: 404, message: `The fake model server has no route ${method} ${url.pathname}`, status: "NOT_FOUND" } });
  }

  async function stream(response: http.ServerResponse, reply: StreamReply, wire: WireProtocol, body: unknown) {
    let clientGone = false;
    let droppedByUs = false;
    response.on("close", () => {
      if (response.writableFinished || droppedByUs) return;
      clientGone = true;
      clientDisconnects++;
      const waiters = disconnectWaiters;
      disconnectWaiters = [];
      waiters.forEach((resolve) => resolve());
    });
    if (reply.holdHeaders) {
      const gate = createGate(0);
      gates.add(gate);
      await gate.opened;
      if (clientGone) return;
    }
    response.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-cache" });
    response.flushHeaders();

    const complete = !reply.hangAfter && !reply.dropAfter;
    const events = reply.chunks.filter((chunk) => wire.sends?.(chunk, body) ?? true).map((chunk) => wire.event(chunk));
    if (complete && wire.end) events.push(wire.end);
    const gate = reply.holdAfter === undefined ? undefined : createGate(reply.holdAfter);
    if (gate) gates.add(gate);

    for (const [index, event] of events.entries()) {
      if (index > 0 && reply.delayMs) await sleep(reply.delayMs);
      if (gate && index === gate.afterEvents) await gate.opened;
      if (clientGone) return;
      response.write(event);
    }
    if (reply.dropAfter) {
      if (reply.delayMs) await sleep(reply.delayMs);
      droppedByUs = true;
      response.socket?.destroy();
    } else if (!reply.hangAfter && !reply.keepOpenAfterEnd) {
      response.end();
    }
  }

  function control(route: string, text: string, response: http.ServerResponse) {
    switch (route) {
      case "POST /__control/reply": {
        const { replies } = (parseJson(text) ?? {}) as { replies?: FakeReply[] };
        if (!Array.isArray(replies) || replies.length === 0) {
          sendJson(response, 400, { error: "replies must be a non-empty array" });
          return;
        }
        try {
          fake.reply(...replies);
        } catch (error) {
          sendJson(response, 400, { error: String(error) });
          return;
        }
        response.writeHead(204).end();
        return;
      }
      case "POST /__control/release":
        fake.release();
        response.writeHead(204).end();
        return;
      case "POST /__control/reset":
        fake.reset();
        response.writeHead(204).end();
        return;
      case "GET /__control/requests":
        sendJson(response, 200, fake.summarise());
        return;
      case "GET /__control/disconnects":
        sendJson(response, 200, { count: fake.clientDisconnects });
        return;
      default:
        sendJson(response, 404, { error: `No control route ${route}` });
    }
  }

  server.listen(options.port ?? 0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  fake.url = `http://127.0.0.1:${port}`;
  fake.openaiBaseUrl = `${fake.url}/v1`;
  return fake;
}

/** Both protocols answer DEFAULT_ANSWER until a test says otherwise. */
function defaultQueues(): Record<Protocol, FakeReply[]> {
  return { gemini: [gemini.textReply([DEFAULT_ANSWER])], openai: [openai.textReply([DEFAULT_ANSWER])] };
}

/** A message's text parts, joined. */
function textOf(texts: Array<string | undefined>): string {
  return texts.filter((text) => typeof text === "string").join("");
}

function isUsageOnlyChunk(chunk: object): boolean {
  const { choices, usage } = chunk as { choices?: unknown[]; usage?: unknown };
  return Array.isArray(choices) && choices.length === 0 && usage !== undefined;
}

function createGate(afterEvents: number): Gate {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { afterEvents, opened, open };
}

function header(request: http.IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

async function readBody(request: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function parseJson(text: string): unknown {
  try {
    return text ? (JSON.parse(text) as unknown) : undefined;
  } catch {
    return undefined;
  }
}

function sendError(response: http.ServerResponse, reply: ErrorReply) {
  const json = typeof reply.body !== "string";
  response.writeHead(reply.status, {
    "Content-Type": json ? "application/json; charset=UTF-8" : "text/html; charset=UTF-8",
    ...reply.headers,
  });
  response.end(json ? JSON.stringify(reply.body) : reply.body);
}

function sendJson(response: http.ServerResponse, status: number, body: unknown) {
  response.writeHead(status, { "Content-Type": "application/json; charset=UTF-8" });
  response.end(JSON.stringify(body));
}

function sleep(ms: number) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The address of a loopback port nothing listens on: connecting to it is refused. */
export async function closedPortUrl(): Promise<string> {
  const server = net.createServer().listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, "close");
  return `http://127.0.0.1:${port}`;
}
