import { once } from "node:events";
import http from "node:http";
import { startFakeGemini, textReply, type FakeGemini, type GeminiReply } from "../helpers/fake-gemini";
import { FAKE_GEMINI_PORT } from "./e2e-env";

/**
 * Runs the fake Gemini API for the whole Playwright run on a fixed loopback port.
 *
 * tests/helpers/fake-gemini.ts listens on a random port and is scripted in-process; the specs run
 * in worker processes and the Next server needs the address up front. So a small front server on
 * FAKE_GEMINI_PORT forwards the Gemini routes to the fake and adds a control API for the specs:
 *
 * - `POST /__control/reply` `{ replies: GeminiReply[], holdAfterEvents?: number }`: the reply (or
 *   replies, in order) to the following requests. With `holdAfterEvents`, the next streamed reply
 *   stops after that many SSE events until `POST /__control/release`, so a spec can look at the
 *   page mid-stream without racing a timer.
 * - `POST /__control/release`: lets a held stream continue.
 * - `GET /__control/requests`: what the SDK sent (image bytes replaced by their length).
 * - `POST /__control/reset`: default reply, no hold, no recorded requests.
 */

export const DEFAULT_REPLY: GeminiReply = textReply(["Hello from the fake model."]);

/** A held stream that is not released in this time continues anyway, so nothing hangs forever. */
const HOLD_LIMIT_MS = 30_000;

interface Gate {
  afterEvents: number;
  opened: Promise<void>;
  open(): void;
}

export default async function globalSetup(): Promise<() => Promise<void>> {
  const fake = await startFakeGemini();
  fake.reply(DEFAULT_REPLY);
  let nextHold: number | null = null;
  const gates = new Set<Gate>();

  const openAll = () => {
    for (const gate of gates) gate.open();
    gates.clear();
  };

  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://front");
    if (url.pathname.startsWith("/__control/")) {
      void control(request, response, url.pathname).catch((error: unknown) => {
        sendJson(response, 400, { error: String(error) });
      });
      return;
    }
    forward(request, response);
  });

  async function control(request: http.IncomingMessage, response: http.ServerResponse, pathname: string) {
    const body = request.method === "POST" ? await readJson(request) : {};
    switch (`${request.method} ${pathname}`) {
      case "POST /__control/reply": {
        const { replies, holdAfterEvents } = body as { replies?: GeminiReply[]; holdAfterEvents?: number };
        if (!Array.isArray(replies) || replies.length === 0) throw new Error("replies must be a non-empty array");
        fake.reply(...replies);
        nextHold = typeof holdAfterEvents === "number" ? holdAfterEvents : null;
        response.writeHead(204).end();
        return;
      }
      case "POST /__control/release":
        openAll();
        response.writeHead(204).end();
        return;
      case "POST /__control/reset":
        openAll();
        nextHold = null;
        fake.reply(DEFAULT_REPLY);
        fake.requests.length = 0;
        response.writeHead(204).end();
        return;
      case "GET /__control/requests":
        sendJson(response, 200, summarise(fake));
        return;
      default:
        sendJson(response, 404, { error: `No control route ${request.method} ${pathname}` });
    }
  }

  function forward(request: http.IncomingMessage, response: http.ServerResponse) {
    const target = new URL(request.url ?? "/", fake.url);
    const upstreamRequest = http.request(target, { method: request.method, headers: request.headers });
    // The Next server gave up (the person pressed Stop): end the fake's stream too.
    response.on("close", () => {
      if (!response.writableFinished) upstreamRequest.destroy();
    });
    upstreamRequest.on("error", () => response.destroy());
    upstreamRequest.on("response", (upstream) => {
      response.writeHead(upstream.statusCode ?? 502, upstream.headers);
      const streaming = String(upstream.headers["content-type"] ?? "").startsWith("text/event-stream");
      if (!streaming) {
        upstream.pipe(response);
        return;
      }
      response.flushHeaders();
      let gate: Gate | undefined;
      if (nextHold !== null) {
        gate = createGate(nextHold);
        gates.add(gate);
        nextHold = null;
      }
      void relayEvents(upstream, response, gate).catch(() => response.destroy());
    });
    request.pipe(upstreamRequest);
  }

  server.listen(FAKE_GEMINI_PORT, "127.0.0.1");
  await once(server, "listening");

  return async () => {
    openAll();
    server.closeAllConnections();
    server.close();
    await once(server, "close");
    await fake.close();
  };
}

/** Forwards the fake's SSE events one by one, waiting at the gate after `afterEvents` of them. */
async function relayEvents(upstream: http.IncomingMessage, response: http.ServerResponse, gate: Gate | undefined) {
  upstream.setEncoding("utf8");
  let buffered = "";
  let sent = 0;
  for await (const chunk of upstream as AsyncIterable<string>) {
    buffered += chunk;
    for (let end = buffered.indexOf("\r\n\r\n"); end !== -1; end = buffered.indexOf("\r\n\r\n")) {
      const event = buffered.slice(0, end + 4);
      buffered = buffered.slice(end + 4);
      if (gate && sent === gate.afterEvents) await gate.opened;
      if (response.destroyed) return;
      response.write(event);
      sent++;
    }
  }
  if (buffered) response.write(buffered);
  response.end();
}

function createGate(afterEvents: number): Gate {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, HOLD_LIMIT_MS);
    open = () => {
      clearTimeout(timer);
      resolve();
    };
  });
  return { afterEvents, opened, open };
}

export interface RecordedRequestSummary {
  model: string;
  apiKey: string | undefined;
  prompt: string | undefined;
  image: { mimeType: string; base64Length: number } | undefined;
}

function summarise(fake: FakeGemini): RecordedRequestSummary[] {
  return fake.requests.map(({ model, apiKey, body }) => {
    const parts = body.contents[0]?.parts ?? [];
    const inline = parts.find((part) => part.inlineData)?.inlineData;
    return {
      model,
      apiKey,
      prompt: parts.find((part) => typeof part.text === "string")?.text,
      image: inline ? { mimeType: inline.mimeType, base64Length: inline.data.length } : undefined,
    };
  });
}

async function readJson(request: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  return text ? (JSON.parse(text) as unknown) : {};
}

function sendJson(response: http.ServerResponse, status: number, body: unknown) {
  response.writeHead(status, { "Content-Type": "application/json" });
  response.end(JSON.stringify(body));
}
