import { createHash } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { HistoryStore, ImageToKeep, NewConversationStart } from "@/lib/store/history-store";

/**
 * The history store's behaviour, run against each database it supports: SQLite here in the unit
 * tests, PostgreSQL in the integration tests (tests/integration/history-postgres.test.ts).
 */
export function describeHistoryStore(name: string, open: () => Promise<{ store: HistoryStore; close(): Promise<void> }>) {
  describe(`HistoryStore on ${name}`, () => {
    let store: HistoryStore;
    let close: () => Promise<void>;

    beforeAll(async () => {
      ({ store, close } = await open());
    });
    afterAll(async () => close?.());
    beforeEach(async () => {
      await store.db.deleteFrom("conversations").execute();
      await store.deleteOrphanImages();
    });

    it("keeps a conversation with its image and turns, and lists it newest first", async () => {
      const first = await store.startConversation(start("Explain this architecture", image("one")));
      await store.recordTurn(first.turnId, { answer: "An API gateway fronts two Lambda functions.", thoughts: "Reading labels", status: "complete", finishReason: "stop", usage: { inputTokens: 10, outputTokens: 20, totalTokens: 30 }, firstTokenMs: 12, durationMs: 340 });
      const second = await store.startConversation(start("Where are the single points of failure?", image("two")));

      const list = await store.listConversations("local", {});
      expect(list.conversations.map((each) => each.id)).toEqual([second.conversationId, first.conversationId]);
      expect(list.nextCursor).toBeNull();

      const conversation = await store.getConversation("local", first.conversationId);
      expect(conversation).toMatchObject({
        title: "Explain this architecture",
        turnCount: 1,
        shared: false,
        image: { width: 40, height: 30, mimeType: "image/png" },
        turns: [{ id: first.turnId, task: "Explain this architecture", answer: "An API gateway fronts two Lambda functions.", thoughts: "Reading labels", status: "complete", provider: "gemini", model: "test-model", finishReason: "stop", usage: { inputTokens: 10, outputTokens: 20, totalTokens: 30 }, firstTokenMs: 12, durationMs: 340 }],
      });
    });

    it("finds nothing of another owner's, the same as an unknown id", async () => {
      const { conversationId, turnId } = await store.startConversation(start("Explain", image("one")));
      expect(await store.getConversation("someone-else", conversationId)).toBeUndefined();
      expect(await store.renameConversation("someone-else", conversationId, "Mine now")).toBeUndefined();
      expect(await store.deleteConversation("someone-else", conversationId)).toBe(false);
      expect(await store.createShare("someone-else", conversationId)).toBeUndefined();
      expect(await store.revokeShares("someone-else", conversationId)).toBe(false);
      expect(await store.conversationImage("someone-else", conversationId)).toBeUndefined();
      expect(await store.followUpContext("someone-else", conversationId, undefined)).toBeUndefined();
      expect(await store.startFollowUp({ ...start("More"), ownerId: "someone-else", conversationId, replaceTurnId: undefined })).toBeUndefined();
      expect((await store.listConversations("someone-else", {})).conversations).toEqual([]);
      expect(await store.getConversation("local", conversationId)).toMatchObject({ turns: [{ id: turnId }] });
    });

    it("continues a conversation and answers a turn again, dropping the turns after it", async () => {
      const { conversationId, turnId: firstTurn } = await store.startConversation(start("Explain", image("one")));
      await store.recordTurn(firstTurn, { answer: "First answer", thoughts: "", status: "complete" });
      const second = await store.startFollowUp({ ...start("Why a queue?"), conversationId, replaceTurnId: undefined });
      await store.recordTurn(second!.turnId, { answer: "Second answer", thoughts: "", status: "stopped" });
      const third = await store.startFollowUp({ ...start("And the cache?"), conversationId, replaceTurnId: undefined });

      expect(await store.followUpContext("local", conversationId, undefined)).toMatchObject({
        history: [
          { task: "Explain", answer: "First answer" },
          { task: "Why a queue?", answer: "Second answer" },
        ],
      });
      expect((await store.followUpContext("local", conversationId, second!.turnId))?.history).toEqual([{ task: "Explain", answer: "First answer" }]);

      const again = await store.startFollowUp({ ...start("Why a queue, really?"), conversationId, replaceTurnId: second!.turnId });
      const turns = (await store.getConversation("local", conversationId))!.turns;
      expect(turns.map((turn) => turn.task)).toEqual(["Explain", "Why a queue, really?"]);
      expect(turns.map((turn) => turn.id)).toEqual([firstTurn, again!.turnId]);
      expect(turns.some((turn) => turn.id === third!.turnId)).toBe(false);
      expect(turns[1]?.status).toBe("incomplete");
    });

    it("carries in the turns a page asked before the conversation was saved", async () => {
      const { conversationId } = await store.startConversation({ ...start("Follow-up", image("one")), earlierTurns: [{ task: "Explain", answer: "Earlier answer" }] });
      const conversation = await store.getConversation("local", conversationId);
      expect(conversation?.title).toBe("Explain");
      expect(conversation?.turns.map((turn) => [turn.task, turn.answer, turn.status])).toEqual([
        ["Explain", "Earlier answer", "complete"],
        ["Follow-up", "", "incomplete"],
      ]);
    });

    it("stores an image once however many conversations use it, and deletes it with the last of them", async () => {
      const shared = image("same diagram");
      const a = await store.startConversation(start("One", shared));
      const b = await store.startConversation(start("Two", shared));
      expect(await countImages(store)).toBe(1);
      expect(await store.deleteConversation("local", a.conversationId)).toBe(true);
      expect(await countImages(store)).toBe(1);
      expect((await store.conversationImage("local", b.conversationId))?.data.toString()).toBe("same diagram");
      await store.deleteConversation("local", b.conversationId);
      expect(await countImages(store)).toBe(0);
    });

    it("searches tasks and answers by word prefixes, and titles by their text", async () => {
      const gateway = await store.startConversation(start("Explain the ingress", image("one")));
      await store.recordTurn(gateway.turnId, { answer: "Traffic enters through the API Gateway, then Lambda.", thoughts: "", status: "complete" });
      const queue = await store.startConversation(start("What does the queue do?", image("two")));
      await store.recordTurn(queue.turnId, { answer: "SQS buffers writes.", thoughts: "", status: "complete" });
      await store.renameConversation("local", queue.conversationId, "Billing (v2) 100%_done");

      const ids = async (query: string) => (await store.listConversations("local", { query })).conversations.map((each) => each.id);
      expect(await ids("gatew")).toEqual([gateway.conversationId]);
      expect(await ids("lambda traffic")).toEqual([gateway.conversationId]);
      expect(await ids("lambda sqs")).toEqual([]);
      expect(await ids("SQS")).toEqual([queue.conversationId]);
      expect(await ids("queue")).toEqual([queue.conversationId]);
      expect(await ids("100%_d")).toEqual([queue.conversationId]);
      expect(await ids("%")).toEqual([queue.conversationId]);
      // Query syntax of either database is text here, never an operator.
      expect(await ids('" OR * NEAR( -')).toEqual([]);
      expect(await ids("gateway:* | sqs")).toEqual([]);
    });

    it("pages the list with a cursor, and refuses a cursor it did not give out", async () => {
      const ids: string[] = [];
      for (let index = 0; index < 5; index++) ids.unshift((await store.startConversation(start(`Task ${index}`, image("one")))).conversationId);
      const first = await store.listConversations("local", { limit: 2 });
      const second = await store.listConversations("local", { limit: 2, cursor: first.nextCursor! });
      const third = await store.listConversations("local", { limit: 2, cursor: second.nextCursor! });
      // Conversations started in the same millisecond are ordered by id: the pages are the one
      // list, cut in three, whatever order those ties take.
      const whole = (await store.listConversations("local", { limit: 100 })).conversations.map((each) => each.id);
      expect(new Set(whole)).toEqual(new Set(ids));
      expect([...first.conversations, ...second.conversations, ...third.conversations].map((each) => each.id)).toEqual(whole);
      expect(third.nextCursor).toBeNull();
      await expect(store.listConversations("local", { cursor: "not-a-cursor" })).rejects.toThrow(/cursor/);
    });

    it("shares with an unguessable token kept only as its hash, and revokes every link", async () => {
      const { conversationId, turnId } = await store.startConversation(start("Explain", image("one")));
      await store.recordTurn(turnId, { answer: "Shared answer", thoughts: "", status: "complete" });
      const token = (await store.createShare("local", conversationId))!;
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const rows = await store.db.selectFrom("shares").selectAll().execute();
      expect(JSON.stringify(rows)).not.toContain(token);

      expect(await store.sharedConversation(token)).toMatchObject({ title: "Explain", turns: [{ answer: "Shared answer" }] });
      expect((await store.sharedConversation(token))?.turns[0]).not.toHaveProperty("id");
      expect((await store.sharedImage(token))?.data.toString()).toBe("one");
      expect((await store.getConversation("local", conversationId))?.shared).toBe(true);

      expect(await store.revokeShares("local", conversationId)).toBe(true);
      expect(await store.sharedConversation(token)).toBeUndefined();
      expect(await store.sharedImage(token)).toBeUndefined();
      expect((await store.getConversation("local", conversationId))?.shared).toBe(false);
      expect(await store.sharedConversation(token.replace(/.$/, (last) => (last === "A" ? "B" : "A")))).toBeUndefined();
    });

    it("retention deletes conversations untouched since the cut-off, and images nothing uses", async () => {
      const old = await store.startConversation(start("Old", image("old")));
      await store.db.updateTable("conversations").set({ updated_at: "2020-01-01T00:00:00.000Z" }).where("id", "=", old.conversationId).execute();
      const recent = await store.startConversation(start("Recent", image("recent")));
      expect(await store.deleteConversationsUpdatedBefore(new Date("2021-01-01T00:00:00Z"))).toEqual({ conversations: 1, images: 1 });
      expect((await store.listConversations("local", {})).conversations.map((each) => each.id)).toEqual([recent.conversationId]);
      expect(await countImages(store)).toBe(1);
    });

    it("renames, and deletes all of one owner's conversations", async () => {
      const mine = await store.startConversation(start("Mine", image("one")));
      const theirs = await store.startConversation({ ...start("Theirs", image("two")), ownerId: "other" });
      expect(await store.renameConversation("local", mine.conversationId, "Renamed")).toMatchObject({ id: mine.conversationId, title: "Renamed", turnCount: 1 });
      expect(await store.deleteAllConversations("local")).toBe(1);
      expect((await store.listConversations("local", {})).conversations).toEqual([]);
      expect((await store.listConversations("other", {})).conversations.map((each) => each.id)).toEqual([theirs.conversationId]);
    });
  });
}

function image(content: string): ImageToKeep {
  const data = Buffer.from(content);
  return { hash: createHash("sha256").update(data).digest("hex"), data, width: 40, height: 30, bytes: data.length, mimeType: "image/png" };
}

function start(task: string, kept: ImageToKeep = image("unused")): NewConversationStart {
  return { ownerId: "local", task, provider: "gemini", model: "test-model", depth: undefined, image: kept, earlierTurns: [] };
}

async function countImages(store: HistoryStore): Promise<number> {
  const row = await store.db.selectFrom("images").select((eb) => eb.fn.countAll().as("count")).executeTakeFirstOrThrow();
  return Number(row.count);
}
