import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { getAuthRuntime } from "@/lib/auth/identity";
import { parseConfig, type AppConfig } from "@/lib/config";
import * as api from "@/lib/history/conversation-api";
import { getLogger } from "@/lib/ops/logger";
import { getHistoryStore } from "@/lib/store/database";
import type { HistoryStore } from "@/lib/store/history-store";
import { conversationListSchema, conversationSchema, shareLinkSchema } from "@/lib/shared/history-contract";
import { diagramPng } from "@/tests/helpers/images";

let directory: string;
let config: AppConfig;
let store: HistoryStore;
let dependencies: api.ConversationApiDependencies;
let png: Buffer;

beforeAll(async () => {
  directory = await mkdtemp(path.join(os.tmpdir(), "mra-conversation-api-"));
  config = parseConfig({ DATA_DIR: directory });
  store = await getHistoryStore(config);
  dependencies = { config, history: async () => store, auth: () => getAuthRuntime(config) };
  png = await diagramPng(400);
});
afterAll(async () => {
  await store.db.destroy();
  await rm(directory, { recursive: true, force: true });
});
beforeEach(async () => {
  await store.deleteAllConversations("local");
});

const BASE = "http://diagrams.example.com";

function request(pathname: string, init: RequestInit & { headers?: Record<string, string> } = {}): Request {
  return new Request(`${BASE}${pathname}`, { ...init, headers: { host: "diagrams.example.com", ...init.headers } });
}

async function saved(task = "Explain this architecture", answer = "An API gateway in front of Lambda.") {
  const image = { hash: `hash-${task}`, data: png, width: 400, height: 300, bytes: png.length, mimeType: "image/png" };
  const ids = await store.startConversation({ ownerId: "local", task, provider: "gemini", model: "m", depth: undefined, image, earlierTurns: [] });
  await store.recordTurn(ids.turnId, { answer, thoughts: "", status: "complete", finishReason: "stop" });
  return ids;
}

async function errorCode(response: Response) {
  return ((await response.json()) as { error: { code: string; message: string } }).error;
}

describe("the conversation API", () => {
  it("lists, searches and reads conversations in the contract's shapes", async () => {
    const { conversationId } = await saved();
    await saved("Where is the queue?", "SQS between the API and the workers.");
    const list = conversationListSchema.parse(await (await api.listConversations(request("/api/conversations"), dependencies)).json());
    expect(list.conversations.map((each) => each.title)).toEqual(["Where is the queue?", "Explain this architecture"]);
    const found = conversationListSchema.parse(await (await api.listConversations(request("/api/conversations?q=lambd"), dependencies)).json());
    expect(found.conversations.map((each) => each.id)).toEqual([conversationId]);

    const response = await api.getConversation(request(`/api/conversations/${conversationId}`), conversationId, dependencies);
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(conversationSchema.parse(await response.json()).turns[0]?.answer).toBe("An API gateway in front of Lambda.");
  });

  it("answers 400 for malformed ids, cursors, sizes and formats, and the same 404 for every id it does not have", async () => {
    const { conversationId } = await saved();
    expect(await errorCode(await api.getConversation(request("/api/conversations/x"), "../../etc", dependencies))).toEqual({ code: "invalid_request", message: "The conversation id is not valid." });
    expect((await api.listConversations(request("/api/conversations?cursor=bm9wZQ"), dependencies)).status).toBe(400);
    expect((await api.listConversations(request(`/api/conversations?q=${"x".repeat(201)}`), dependencies)).status).toBe(400);
    expect((await api.conversationImage(request(`/api/conversations/${conversationId}/image?size=huge`), conversationId, dependencies)).status).toBe(400);
    expect((await api.exportConversation(request(`/api/conversations/${conversationId}/export?format=pdf`), conversationId, dependencies)).status).toBe(400);

    const unknown = "A".repeat(22);
    const answers = await Promise.all([
      api.getConversation(request("/"), unknown, dependencies),
      api.renameConversation(request("/", { method: "PATCH", body: JSON.stringify({ title: "x" }) }), unknown, dependencies),
      api.deleteConversation(request("/", { method: "DELETE" }), unknown, dependencies),
      api.conversationImage(request("/"), unknown, dependencies),
      api.exportConversation(request("/"), unknown, dependencies),
      api.shareConversation(request("/", { method: "POST" }), unknown, dependencies),
      api.stopSharing(request("/", { method: "DELETE" }), unknown, dependencies),
    ]);
    const bodies = await Promise.all(answers.map(async (response) => [response.status, await response.text()]));
    expect(new Set(bodies.map((body) => JSON.stringify(body)))).toEqual(new Set([JSON.stringify([404, '{"error":{"code":"not_found","message":"This conversation does not exist or was deleted."}}'])]));
  });

  it("renames with a checked title, and refuses a body that is not one", async () => {
    const { conversationId } = await saved();
    const rename = (body: string) => api.renameConversation(request("/", { method: "PATCH", body, headers: { "content-type": "application/json" } }), conversationId, dependencies);
    expect(await (await rename(JSON.stringify({ title: "  Payments flow  " }))).json()).toMatchObject({ id: conversationId, title: "Payments flow" });
    expect(await errorCode(await rename(JSON.stringify({ title: "   " })))).toMatchObject({ code: "invalid_request", message: "A title cannot be empty." });
    expect((await errorCode(await rename("{not json"))).code).toBe("invalid_request");
    expect((await errorCode(await rename(JSON.stringify({ title: "x".repeat(5_000) })))).message).toMatch(/too large/);
  });

  it("refuses changes a browser sends from another site", async () => {
    const { conversationId } = await saved();
    const crossSite = { "sec-fetch-site": "cross-site" };
    for (const response of [
      await api.deleteConversation(request("/", { method: "DELETE", headers: crossSite }), conversationId, dependencies),
      await api.deleteAllConversations(request("/", { method: "DELETE", headers: crossSite }), dependencies),
      await api.shareConversation(request("/", { method: "POST", headers: crossSite }), conversationId, dependencies),
      await api.renameConversation(request("/", { method: "PATCH", body: '{"title":"x"}', headers: crossSite }), conversationId, dependencies),
    ]) {
      expect(response.status).toBe(403);
    }
    expect(await store.getConversation("local", conversationId)).toMatchObject({ title: "Explain this architecture", shared: false });
  });

  it("serves the image, and a thumbnail made once and kept", async () => {
    const { conversationId } = await saved();
    const full = await api.conversationImage(request("/"), conversationId, dependencies);
    expect(full.headers.get("content-type")).toBe("image/png");
    expect(Buffer.from(await full.arrayBuffer()).equals(png)).toBe(true);

    const thumb = await api.conversationImage(request("/?size=thumb"), conversationId, dependencies);
    expect(thumb.headers.get("content-type")).toBe("image/jpeg");
    const metadata = await sharp(Buffer.from(await thumb.arrayBuffer())).metadata();
    expect(Math.max(metadata.width!, metadata.height!)).toBe(320);
    expect((await store.conversationImage("local", conversationId))?.thumbnail).toBeInstanceOf(Buffer);
  });

  it("exports Markdown and JSON as downloads", async () => {
    const { conversationId } = await saved("Explain: the *payments* flow");
    const markdown = await api.exportConversation(request("/?format=md"), conversationId, dependencies);
    expect(markdown.headers.get("content-disposition")).toBe('attachment; filename="explain-the-payments-flow.md"');
    const text = await markdown.text();
    expect(text).toContain("# Explain: the *payments* flow");
    expect(text).toContain("> Explain: the *payments* flow");
    expect(text).toContain("An API gateway in front of Lambda.");

    const json = await api.exportConversation(request("/?format=json"), conversationId, dependencies);
    expect(json.headers.get("content-type")).toContain("application/json");
    expect(conversationSchema.parse(await json.json()).id).toBe(conversationId);
  });

  it("makes a share link at the address the person used, or PUBLIC_URL; revoking ends it", async () => {
    const { conversationId } = await saved();
    const share = async (headers: Record<string, string>, deps = dependencies) =>
      shareLinkSchema.parse(await (await api.shareConversation(request("/", { method: "POST", headers }), conversationId, deps)).json()).url;
    expect(await share({})).toMatch(/^http:\/\/diagrams\.example\.com\/s\/[A-Za-z0-9_-]{43}$/);
    expect(await share({ "x-forwarded-proto": "https" })).toMatch(/^https:\/\/diagrams\.example\.com\/s\//);
    const publicConfig = parseConfig({ DATA_DIR: directory, PUBLIC_URL: "https://tools.example.org/diagrams" });
    const url = await share({}, { ...dependencies, config: publicConfig });
    expect(url).toMatch(/^https:\/\/tools\.example\.org\/s\//);

    const token = url.split("/s/")[1]!;
    expect((await api.sharedImage(request("/"), token, dependencies)).status).toBe(200);
    expect((await api.stopSharing(request("/", { method: "DELETE" }), conversationId, dependencies)).status).toBe(204);
    const revoked = await api.sharedImage(request("/"), token, dependencies);
    const wrong = await api.sharedImage(request("/"), "B".repeat(43), dependencies);
    const malformed = await api.sharedImage(request("/"), "not-a-token", dependencies);
    const bodies = await Promise.all([revoked, wrong, malformed].map(async (response) => `${response.status} ${await response.text()}`));
    expect(new Set(bodies).size).toBe(1);
    expect(bodies[0]).toMatch(/^404 /);
  });

  it("answers 503 history_unavailable, and logs why, when the database cannot be reached", async () => {
    const error = vi.spyOn(getLogger(), "error").mockImplementation(() => undefined);
    const down = { ...dependencies, history: async () => Promise.reject(new Error("connect ECONNREFUSED 127.0.0.1:5432")) };
    const response = await api.listConversations(request("/api/conversations"), down);
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("5");
    expect((await errorCode(response)).code).toBe("history_unavailable");
    expect(JSON.stringify(error.mock.calls)).toContain("ECONNREFUSED");
    error.mockRestore();
  });

  it("deletes one conversation, and all of them", async () => {
    const one = await saved("One");
    await saved("Two");
    expect((await api.deleteConversation(request("/", { method: "DELETE" }), one.conversationId, dependencies)).status).toBe(204);
    expect((await api.getConversation(request("/"), one.conversationId, dependencies)).status).toBe(404);
    expect((await api.deleteAllConversations(request("/", { method: "DELETE" }), dependencies)).status).toBe(204);
    expect((await store.listConversations("local", {})).conversations).toEqual([]);
  });
});
