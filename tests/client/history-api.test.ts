import { describe, expect, it } from "vitest";
import { installFakeFetch } from "@/tests/helpers/fake-fetch";
import { ApiRequestError } from "@/lib/client/api-request";
import { conversationExportUrl, conversationImageUrl, deleteAllConversations, deleteConversation, getConversation, listConversations, renameConversation, shareConversation, stopSharing } from "@/lib/client/history-api";
import type { Conversation, ConversationSummary } from "@/lib/shared/history-contract";

/** The page's side of /api/conversations, with the network played by a fake fetch. */

const { sent, answers } = installFakeFetch();

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
const noContent = () => new Response(null, { status: 204 });
const errorBody = (code: string, message: string) => ({ error: { code, message } });

const SUMMARY: ConversationSummary = {
  id: "conv_0123456789",
  title: "Explain this architecture",
  createdAt: "2026-03-01T10:00:00.000Z",
  updatedAt: "2026-03-01T10:05:00.000Z",
  turnCount: 2,
  shared: false,
};

const CONVERSATION: Conversation = {
  ...SUMMARY,
  image: { width: 900, height: 360, bytes: 4321, mimeType: "image/png" },
  turns: [
    {
      id: "turn_0123456789",
      task: "Explain this architecture",
      answer: "## Overview\nAn API.",
      thoughts: "Reading the boxes.",
      status: "complete",
      provider: "gemini",
      model: "gemini-test",
      depth: null,
      finishReason: "stop",
      errorCode: null,
      errorMessage: null,
      usage: { totalTokens: 120 },
      createdAt: "2026-03-01T10:00:00.000Z",
      firstTokenMs: 400,
      durationMs: 2000,
    },
  ],
};

async function failureOf(promise: Promise<unknown>): Promise<ApiRequestError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ApiRequestError) return error;
    throw error;
  }
  throw new Error("expected the request to fail");
}

describe("listConversations", () => {
  it("asks for the first page without parameters and returns it checked", async () => {
    answers.push(json(200, { conversations: [SUMMARY], nextCursor: "next-page" }));
    await expect(listConversations()).resolves.toEqual({ conversations: [SUMMARY], nextCursor: "next-page" });
    expect(sent).toEqual([{ url: "/api/conversations", method: "GET", headers: {}, body: undefined, credentials: "same-origin" }]);
  });

  it("sends the trimmed search text as q and the cursor of the page before, encoded", async () => {
    answers.push(json(200, { conversations: [], nextCursor: null }));
    await listConversations({ query: "  S3 & Lambda ", cursor: "abc/+=" });
    expect(sent[0]!.url).toBe("/api/conversations?q=S3+%26+Lambda&cursor=abc%2F%2B%3D");
  });

  it("leaves out a blank search", async () => {
    answers.push(json(200, { conversations: [], nextCursor: null }));
    await listConversations({ query: "   " });
    expect(sent[0]!.url).toBe("/api/conversations");
  });

  it("refuses an answer that does not match the contract", async () => {
    answers.push(json(200, { conversations: [{ ...SUMMARY, shared: "yes" }], nextCursor: null }));
    const error = await failureOf(listConversations());
    expect(error.code).toBe("unexpected_answer");
    expect(error.message).toMatch(/not understood/);
  });

  it("lets an abort through as it is, for the caller to ignore", async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(listConversations({ signal: controller.signal })).rejects.toMatchObject({ name: "AbortError" });
  });
});

describe("getConversation", () => {
  it("returns the conversation with its image and turns", async () => {
    answers.push(json(200, CONVERSATION));
    await expect(getConversation(SUMMARY.id)).resolves.toEqual(CONVERSATION);
    expect(sent[0]).toMatchObject({ url: `/api/conversations/${SUMMARY.id}`, method: "GET" });
  });

  it("reports an unknown conversation with the server's code, status and words", async () => {
    answers.push(json(404, errorBody("not_found", "This conversation does not exist or was deleted.")));
    const error = await failureOf(getConversation("unknown_0123456789"));
    expect(error).toMatchObject({ code: "not_found", status: 404, message: "This conversation does not exist or was deleted." });
  });

  it("describes a failure the server did not explain by its status", async () => {
    answers.push(new Response("<html>Bad gateway</html>", { status: 502 }));
    const error = await failureOf(getConversation(SUMMARY.id));
    expect(error).toMatchObject({ code: "http_error", status: 502 });
    expect(error.message).toContain("HTTP 502");
  });

  it("says the server could not be reached when the network fails", async () => {
    answers.push(new TypeError("Failed to fetch"));
    const error = await failureOf(getConversation(SUMMARY.id));
    expect(error).toMatchObject({ code: "network", status: null });
  });

  it("puts the id in the path encoded, so no id can reach another route", async () => {
    answers.push(json(404, errorBody("not_found", "Gone.")));
    await failureOf(getConversation("../share"));
    expect(sent[0]!.url).toBe("/api/conversations/..%2Fshare");
  });
});

describe("changes", () => {
  it("renames with a JSON PATCH and returns the new summary", async () => {
    const renamed = { ...SUMMARY, title: "Ingestion path" };
    answers.push(json(200, renamed));
    await expect(renameConversation(SUMMARY.id, "Ingestion path")).resolves.toEqual(renamed);
    expect(sent[0]).toMatchObject({
      url: `/api/conversations/${SUMMARY.id}`,
      method: "PATCH",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ title: "Ingestion path" }),
    });
  });

  it("passes on why a rename was refused", async () => {
    answers.push(json(400, errorBody("invalid_request", "A title cannot be empty.")));
    const error = await failureOf(renameConversation(SUMMARY.id, " "));
    expect(error).toMatchObject({ code: "invalid_request", message: "A title cannot be empty." });
  });

  it("deletes one conversation, and all of them", async () => {
    answers.push(noContent(), noContent());
    await deleteConversation(SUMMARY.id);
    await deleteAllConversations();
    expect(sent.map(({ url, method }) => `${method} ${url}`)).toEqual([`DELETE /api/conversations/${SUMMARY.id}`, "DELETE /api/conversations"]);
  });

  it("creates a share link and stops sharing", async () => {
    answers.push(json(201, { url: "http://127.0.0.1:3107/s/abc" }), noContent());
    await expect(shareConversation(SUMMARY.id)).resolves.toEqual({ url: "http://127.0.0.1:3107/s/abc" });
    await stopSharing(SUMMARY.id);
    expect(sent.map(({ url, method }) => `${method} ${url}`)).toEqual([
      `POST /api/conversations/${SUMMARY.id}/share`,
      `DELETE /api/conversations/${SUMMARY.id}/share`,
    ]);
    // For the team unless the person chooses otherwise.
    expect(sent[0]?.body).toBe(JSON.stringify({ visibility: "team" }));
  });

  it("asks for a public link when the person chooses one", async () => {
    answers.push(json(201, { url: "http://127.0.0.1:3107/s/abc", visibility: "public" }));
    await expect(shareConversation(SUMMARY.id, "public")).resolves.toEqual({ url: "http://127.0.0.1:3107/s/abc", visibility: "public" });
    expect(sent[0]?.body).toBe(JSON.stringify({ visibility: "public" }));
  });

  it("reports a refused delete", async () => {
    answers.push(json(503, errorBody("history_unavailable", "The history cannot be read right now.")));
    const error = await failureOf(deleteConversation(SUMMARY.id));
    expect(error).toMatchObject({ code: "history_unavailable", status: 503 });
  });
});

describe("addresses", () => {
  it("names the image, its thumbnail and the exports", () => {
    expect(conversationImageUrl(SUMMARY.id)).toBe(`/api/conversations/${SUMMARY.id}/image`);
    expect(conversationImageUrl(SUMMARY.id, { thumbnail: true })).toBe(`/api/conversations/${SUMMARY.id}/image?size=thumb`);
    expect(conversationExportUrl(SUMMARY.id, "md")).toBe(`/api/conversations/${SUMMARY.id}/export?format=md`);
    expect(conversationExportUrl(SUMMARY.id, "json")).toBe(`/api/conversations/${SUMMARY.id}/export?format=json`);
  });
});
