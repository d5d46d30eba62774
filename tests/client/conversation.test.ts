import { describe, expect, it } from "vitest";
import type { AnswerAction } from "@/lib/client/answer-state";
import {
  emptyConversation,
  historyBefore,
  isBusy,
  questionSubject,
  reduceConversation,
  type Conversation,
  type ConversationAction,
} from "@/lib/client/conversation";
import type { MetaEvent } from "@/lib/shared/analyze-contract";
import type { Conversation as StoredConversation, StoredTurn } from "@/lib/shared/history-contract";
import { MAX_HISTORY_CHARS, MAX_HISTORY_TURNS } from "@/lib/shared/limits";

const image = new File([new Uint8Array([0x89, 0x50, 0x4e, 0x47])], "diagram.png", { type: "image/png" });
const other = new File([new Uint8Array([0xff, 0xd8, 0xff])], "other.jpg", { type: "image/jpeg" });

/** What a server that keeps no images sends. */
const META_WITHOUT_ID: MetaEvent = {
  provider: "gemini",
  model: "gemini-test",
  image: { width: 900, height: 360, bytes: 4321, mimeType: "image/png" },
};
const META: MetaEvent = { ...META_WITHOUT_ID, imageId: "kept-1" };

function run(...actions: ConversationAction[]): Conversation {
  return actions.reduce(reduceConversation, emptyConversation);
}

const to = (turnId: number, ...actions: AnswerAction[]): ConversationAction[] =>
  actions.map((action) => ({ type: "answer", turnId, action }));

/** Turn `turnId`'s whole answer: meta, the text in one delta, done. */
const answered = (turnId: number, text: string, meta: MetaEvent = META): ConversationAction[] =>
  to(turnId, { event: "meta", data: meta }, { event: "delta", data: { text } }, { event: "done", data: { finishReason: "stop" } });

/** A conversation of finished turns, one per [task, answer]. */
function conversationOf(...turns: Array<[string, string]>): Conversation {
  return run(
    ...turns.flatMap(([task, answer], index): ConversationAction[] => [
      index === 0 ? { type: "begin", image, task, startedAt: 1 } : { type: "ask", task, startedAt: index + 1 },
      ...answered(index + 1, answer),
    ]),
  );
}

describe("reduceConversation", () => {
  it("begins with the image and a first turn that is already under way", () => {
    const state = run({ type: "begin", image, task: "Explain this architecture", startedAt: 1000 });
    expect(state.image).toBe(image);
    expect(state.imageId).toBeNull();
    expect(state.turns).toHaveLength(1);
    expect(state.turns[0]).toMatchObject({ id: 1, task: "Explain this architecture", answer: { phase: "uploading", sentImage: true, startedAt: 1000 } });
    expect(isBusy(state)).toBe(true);
  });

  it("takes the kept image's id from the answer's meta", () => {
    const state = run({ type: "begin", image, task: "Explain", startedAt: 1 }, ...to(1, { event: "meta", data: META }));
    expect(state.imageId).toBe("kept-1");
    expect(state.turns[0]?.answer.meta).toEqual(META);
  });

  it("keeps the id it has when a meta carries none (a server that keeps no images sends none)", () => {
    const state = run(
      { type: "begin", image, task: "Explain", startedAt: 1 },
      ...answered(1, "An API."),
      { type: "ask", task: "More", startedAt: 2 },
      ...to(2, { event: "meta", data: META_WITHOUT_ID }),
    );
    expect(state.imageId).toBe("kept-1");
    expect(run({ type: "begin", image, task: "Explain", startedAt: 1 }, ...answered(1, "An API.", META_WITHOUT_ID)).imageId).toBeNull();
  });

  it("takes a new id from a later meta: the image was uploaded again after the server let it go", () => {
    const state = run(
      { type: "begin", image, task: "Explain", startedAt: 1 },
      ...answered(1, "An API."),
      { type: "ask", task: "More", startedAt: 2 },
      ...to(2, { event: "meta", data: { ...META, imageId: "kept-2" } }),
    );
    expect(state.imageId).toBe("kept-2");
  });

  it("asks a follow-up about the same image, keeping the turns before it", () => {
    const before = conversationOf(["Explain", "An API."]);
    const state = reduceConversation(before, { type: "ask", task: "What does it connect to?", startedAt: 5 });
    expect(state.image).toBe(image);
    expect(state.imageId).toBe("kept-1");
    expect(state.turns.map((turn) => [turn.id, turn.task, turn.answer.phase])).toEqual([
      [1, "Explain", "done"],
      // The server keeps the image: nothing to upload.
      [2, "What does it connect to?", "preparing"],
    ]);
  });

  it("sends each answer's events to its own turn only", () => {
    const state = run(
      { type: "begin", image, task: "Explain", startedAt: 1 },
      ...answered(1, "An API."),
      { type: "ask", task: "More", startedAt: 2 },
      ...to(2, { event: "meta", data: META }, { event: "thought", data: { text: "Hmm." } }, { event: "delta", data: { text: "The queue." } }),
    );
    expect(state.turns[0]?.answer).toMatchObject({ phase: "done", markdown: "An API.", thoughts: "" });
    expect(state.turns[1]?.answer).toMatchObject({ phase: "streaming", markdown: "The queue.", thoughts: "Hmm." });
  });

  it("ignores events for a turn that is no longer there (a conversation replaced mid-answer)", () => {
    const state = run({ type: "begin", image, task: "Explain", startedAt: 1 }, { type: "begin", image: other, task: "And this one?", startedAt: 2 });
    expect(reduceConversation(state, { type: "answer", turnId: 1, action: { event: "delta", data: { text: "late" } } })).toEqual(state);
  });

  // The id names the first image: a follow-up about the second must not send it, or the server
  // would answer about the wrong diagram.
  it("does not take the image id from a late meta of a replaced conversation", () => {
    const state = run({ type: "begin", image, task: "Explain", startedAt: 1 }, { type: "begin", image: other, task: "And this one?", startedAt: 2 });
    const late = reduceConversation(state, { type: "answer", turnId: 1, action: { event: "meta", data: META } });
    expect(late.imageId).toBeNull();
    expect(late).toEqual(state);
  });

  it("replaces the conversation on begin, without reusing turn ids", () => {
    const state = reduceConversation(conversationOf(["Explain", "An API."], ["More", "A queue."]), {
      type: "begin",
      image: other,
      task: "What is this?",
      startedAt: 9,
    });
    expect(state.image).toBe(other);
    expect(state.imageId).toBeNull();
    expect(state.turns.map((turn) => [turn.id, turn.task])).toEqual([[3, "What is this?"]]);
  });

  it("retries one turn from the start, leaving the others and the turn's task as they were", () => {
    const before = run(
      { type: "begin", image, task: "Explain", startedAt: 1 },
      ...answered(1, "An API."),
      { type: "ask", task: "More", startedAt: 2 },
      ...to(2, { event: "meta", data: META }, { event: "delta", data: { text: "Partial" } }, { event: "error", data: { code: "provider_timeout", message: "Too slow." } }),
    );
    const state = reduceConversation(before, { type: "retry", turnId: 2, startedAt: 50 });
    expect(state.turns[0]).toBe(before.turns[0]);
    expect(state.turns[1]).toMatchObject({ id: 2, task: "More", answer: { phase: "preparing", startedAt: 50, markdown: "", error: null, meta: null } });
    expect(state.imageId).toBe("kept-1");
    expect(state.image).toBe(image);
  });

  it("is busy while any turn runs, and not once every turn has ended", () => {
    const asking = run({ type: "begin", image, task: "Explain", startedAt: 1 }, ...answered(1, "An API."), { type: "ask", task: "More", startedAt: 2 });
    expect(isBusy(asking)).toBe(true);
    expect(isBusy(reduceConversation(asking, { type: "answer", turnId: 2, action: { type: "stopped" } }))).toBe(false);
    expect(isBusy(emptyConversation)).toBe(false);
  });
});

describe("historyBefore", () => {
  it("gives the earlier turns' tasks and answers, oldest first", () => {
    const state = reduceConversation(conversationOf(["Explain", "An API."], ["And the queue?", "It buffers."]), {
      type: "ask",
      task: "What does it connect to?",
      startedAt: 9,
    });
    expect(historyBefore(state, 3)).toEqual([
      { task: "Explain", answer: "An API." },
      { task: "And the queue?", answer: "It buffers." },
    ]);
  });

  it("gives nothing for the first turn", () => {
    expect(historyBefore(conversationOf(["Explain", "An API."]), 1)).toEqual([]);
  });

  it("leaves out turns after the one asked about, as when an earlier turn is retried", () => {
    const state = conversationOf(["Explain", "An API."], ["And the queue?", "It buffers."], ["Costs?", "Few."]);
    expect(historyBefore(state, 2)).toEqual([{ task: "Explain", answer: "An API." }]);
  });

  it("skips turns whose answer has no text: failed, refused or blank", () => {
    const state = run(
      { type: "begin", image, task: "Explain", startedAt: 1 },
      ...to(1, { event: "meta", data: META }, { event: "error", data: { code: "provider_timeout", message: "Too slow." } }),
      { type: "ask", task: "Try again: explain", startedAt: 2 },
      ...answered(2, "  \n "),
      { type: "ask", task: "What is it?", startedAt: 3 },
      ...answered(3, "An API."),
      { type: "ask", task: "And then?", startedAt: 4 },
    );
    expect(historyBefore(state, 4)).toEqual([{ task: "What is it?", answer: "An API." }]);
  });

  it("keeps a stopped answer's partial text, which is what the person read", () => {
    const state = run(
      { type: "begin", image, task: "Explain", startedAt: 1 },
      ...to(1, { event: "meta", data: META }, { event: "thought", data: { text: "Thinking…" } }, { event: "delta", data: { text: "## Overview\nAn A" } }, { type: "stopped" }),
      { type: "ask", task: "Go on", startedAt: 2 },
    );
    expect(historyBefore(state, 2)).toEqual([{ task: "Explain", answer: "## Overview\nAn A" }]);
  });

  it("sends the answer's markdown only, never the model's thoughts", () => {
    const state = run(
      { type: "begin", image, task: "Explain", startedAt: 1 },
      ...to(1, { event: "meta", data: META }, { event: "thought", data: { text: "Private reasoning" } }, { event: "delta", data: { text: "An API." } }, { event: "done", data: { finishReason: "stop" } }),
      { type: "ask", task: "More", startedAt: 2 },
    );
    expect(JSON.stringify(historyBefore(state, 2))).not.toContain("Private reasoning");
  });

  it(`keeps the newest ${MAX_HISTORY_TURNS} turns of a longer conversation`, () => {
    const turns = Array.from({ length: MAX_HISTORY_TURNS + 5 }, (_, index): [string, string] => [`Question ${index + 1}`, `Answer ${index + 1}`]);
    const state = conversationOf(...turns);
    const history = historyBefore(state, turns.length + 1);
    expect(history).toHaveLength(MAX_HISTORY_TURNS);
    expect(history[0]).toEqual({ task: "Question 6", answer: "Answer 6" });
    expect(history.at(-1)).toEqual({ task: `Question ${turns.length}`, answer: `Answer ${turns.length}` });
  });

  it(`keeps the newest turns that fit in ${MAX_HISTORY_CHARS.toLocaleString("en")} characters, tasks and answers together`, () => {
    const third = Math.floor(MAX_HISTORY_CHARS / 3);
    // Each turn is a third of the limit (task included): the newest three fit exactly, four do not.
    const turn = (index: number): [string, string] => [`Q${index}`, String(index).repeat(third - `Q${index}`.length)];
    const state = conversationOf(turn(1), turn(2), turn(3), turn(4));
    const history = historyBefore(state, 5);
    expect(history.map((each) => each.task)).toEqual(["Q2", "Q3", "Q4"]);
    const chars = history.reduce((sum, each) => sum + each.task.length + each.answer.length, 0);
    expect(chars).toBeLessThanOrEqual(MAX_HISTORY_CHARS);
    expect(chars).toBe(3 * third);
  });

  it("keeps no older turn past one that does not fit, so the history has no gaps", () => {
    const state = conversationOf(["Q1", "short"], ["Q2", "x".repeat(MAX_HISTORY_CHARS)], ["Q3", "short"]);
    expect(historyBefore(state, 4)).toEqual([{ task: "Q3", answer: "short" }]);
  });
});

/** A saved conversation as GET /api/conversations/:id returns it. */
const STORED_IMAGE = { width: 900, height: 360, bytes: 4321, mimeType: "image/png" };

function storedTurn(overrides: Partial<StoredTurn> & Pick<StoredTurn, "id" | "task">): StoredTurn {
  return {
    answer: "",
    thoughts: "",
    status: "complete",
    provider: "gemini",
    model: "gemini-test",
    depth: null,
    finishReason: "stop",
    errorCode: null,
    errorMessage: null,
    usage: null,
    createdAt: "2026-03-01T10:00:00.000Z",
    firstTokenMs: null,
    durationMs: null,
    ...overrides,
  };
}

const STORED: StoredConversation = {
  id: "conversation-0123",
  title: "Explain this architecture",
  createdAt: "2026-03-01T10:00:00.000Z",
  updatedAt: "2026-03-01T10:05:00.000Z",
  turnCount: 2,
  shared: true,
  image: STORED_IMAGE,
  turns: [
    storedTurn({ id: "turn-first-01", task: "Explain this architecture", answer: "## Overview\nAn API.", thoughts: "Reading the boxes.", usage: { totalTokens: 120 } }),
    storedTurn({ id: "turn-second-02", task: "And the queue?", answer: "It buff", status: "incomplete", finishReason: null }),
  ],
};

/** The first answer's meta from a server that saves the conversation. */
const SAVED_META: MetaEvent = { ...META, conversationId: "conversation-0123", turnId: "turn-first-01" };

describe("reduceConversation: saved conversations", () => {
  it("takes the conversation's and the turn's ids from the answer's meta, with a title from the first task", () => {
    const state = run({ type: "begin", image, task: "  Explain   this\narchitecture ", startedAt: 1 }, ...to(1, { event: "meta", data: SAVED_META }));
    expect(state.saved).toEqual({ id: "conversation-0123", title: "Explain this architecture", shared: false, image: META.image });
    expect(state.turns[0]?.storedId).toBe("turn-first-01");
    expect(state.imageId).toBe("kept-1");
  });

  it("gives each later turn its own stored id and keeps the conversation", () => {
    const state = run(
      { type: "begin", image, task: "Explain", startedAt: 1 },
      ...answered(1, "An API.", SAVED_META),
      { type: "saved-changed", conversationId: "conversation-0123", title: "Renamed" },
      { type: "ask", task: "More", startedAt: 2 },
      ...to(2, { event: "meta", data: { ...SAVED_META, turnId: "turn-second-02" } }),
    );
    expect(state.turns.map((turn) => turn.storedId)).toEqual(["turn-first-01", "turn-second-02"]);
    expect(state.saved?.title).toBe("Renamed");
  });

  it("a follow-up in a saved conversation does not upload: the server has the image", () => {
    const state = run({ type: "begin", image, task: "Explain", startedAt: 1 }, ...answered(1, "An API.", { ...SAVED_META, imageId: undefined }), {
      type: "ask",
      task: "More",
      startedAt: 2,
    });
    expect(state.imageId).toBeNull();
    expect(state.turns[1]?.answer).toMatchObject({ phase: "preparing", sentImage: false });
  });

  it("a conversation first saved by a later answer (the server could not save before) gets its id then", () => {
    const state = run(
      { type: "begin", image, task: "Explain", startedAt: 1 },
      ...answered(1, "An API."),
      { type: "ask", task: "More", startedAt: 2 },
      ...to(2, { event: "meta", data: { ...SAVED_META, turnId: "turn-second-02" } }),
    );
    expect(state.saved?.id).toBe("conversation-0123");
    expect(state.turns.map((turn) => turn.storedId)).toEqual([null, "turn-second-02"]);
  });

  it("opens a saved conversation: loading first, then its turns with the answers as they were left", () => {
    const before = conversationOf(["Explain", "An API."]);
    const loading = reduceConversation(before, { type: "open", conversationId: STORED.id });
    expect(loading).toMatchObject({ opening: { id: STORED.id, state: "loading" }, turns: [], saved: null, image: null, imageId: null });
    expect(loading.session).toBe(before.session + 1);

    const state = reduceConversation(loading, { type: "opened", conversation: STORED });
    expect(state.opening).toBeNull();
    expect(state.saved).toEqual({ id: STORED.id, title: STORED.title, shared: true, image: STORED_IMAGE });
    // Turn ids go on from the ones before, so a late event of the old conversation finds nothing.
    expect(state.turns.map((turn) => [turn.id, turn.storedId, turn.task])).toEqual([
      [2, "turn-first-01", "Explain this architecture"],
      [3, "turn-second-02", "And the queue?"],
    ]);
    expect(state.turns[0]?.answer).toMatchObject({
      phase: "done",
      markdown: "## Overview\nAn API.",
      thoughts: "Reading the boxes.",
      meta: { provider: "gemini", model: "gemini-test", image: STORED_IMAGE },
      finish: { finishReason: "stop", usage: { totalTokens: 120 } },
      error: null,
    });
    // The server stopped mid-answer: the text it saved stays, marked as cut off.
    expect(state.turns[1]?.answer).toMatchObject({ phase: "interrupted", markdown: "It buff", finish: null });
    expect(isBusy(state)).toBe(false);
    expect(reduceConversation(state, { type: "answer", turnId: 1, action: { event: "delta", data: { text: "late" } } })).toBe(state);
  });

  it("ignores a conversation that arrives after another was asked for", () => {
    const state = run({ type: "open", conversationId: "first-0123456" }, { type: "open", conversationId: "other-0123456" });
    expect(reduceConversation(state, { type: "opened", conversation: { ...STORED, id: "first-0123456" } })).toBe(state);
    expect(reduceConversation(state, { type: "open-failed", conversationId: "first-0123456", missing: true, message: "" })).toBe(state);
  });

  it("tells an unknown conversation apart from one that could not be read", () => {
    const opening = run({ type: "open", conversationId: STORED.id });
    expect(reduceConversation(opening, { type: "open-failed", conversationId: STORED.id, missing: true, message: "Gone." }).opening).toEqual({ id: STORED.id, state: "missing" });
    expect(reduceConversation(opening, { type: "open-failed", conversationId: STORED.id, missing: false, message: "Offline." }).opening).toEqual({
      id: STORED.id,
      state: "failed",
      message: "Offline.",
    });
  });

  it("resets to an empty page that starts a new form, keeping turn ids unique", () => {
    const before = conversationOf(["Explain", "An API."]);
    const state = reduceConversation(before, { type: "reset" });
    expect(state).toEqual({ ...emptyConversation, nextTurnId: 2, session: before.session + 1 });
  });

  it("keeps the form's session through a new question, which only replaces the turns", () => {
    const state = run({ type: "reset" }, { type: "begin", image, task: "Explain", startedAt: 1 });
    expect(state.session).toBe(1);
  });

  it("records a rename or a share only for the conversation it is about", () => {
    const opened = run({ type: "open", conversationId: STORED.id }, { type: "opened", conversation: STORED });
    const renamed = reduceConversation(opened, { type: "saved-changed", conversationId: STORED.id, title: "Ingestion", shared: false });
    expect(renamed.saved).toMatchObject({ title: "Ingestion", shared: false });
    expect(reduceConversation(opened, { type: "saved-changed", conversationId: "other-0123456", title: "No" })).toBe(opened);
  });
});

describe("questionSubject", () => {
  it("names the saved conversation for a follow-up, without the image or history", () => {
    const state = run({ type: "begin", image, task: "Explain", startedAt: 1 }, ...answered(1, "An API.", SAVED_META), { type: "ask", task: "More", startedAt: 2 });
    expect(questionSubject(state, 2)).toEqual({ conversationId: "conversation-0123" });
  });

  it("names the saved turn a retry replaces", () => {
    const state = run({ type: "open", conversationId: STORED.id }, { type: "opened", conversation: STORED });
    const last = state.turns.at(-1)!;
    expect(questionSubject(state, last.id, { retry: true })).toEqual({ conversationId: STORED.id, replaceTurnId: "turn-second-02" });
  });

  it("retries a turn the server never saved (refused before its meta) as a new turn of the conversation", () => {
    const state = run(
      { type: "begin", image, task: "Explain", startedAt: 1 },
      ...answered(1, "An API.", SAVED_META),
      { type: "ask", task: "More", startedAt: 2 },
      ...to(2, { type: "failed", message: "The server is busy." }),
    );
    expect(questionSubject(state, 2, { retry: true })).toEqual({ conversationId: "conversation-0123" });
  });

  it("sends the image's id, the file and the earlier turns while the conversation is not saved", () => {
    const state = reduceConversation(conversationOf(["Explain", "An API."]), { type: "ask", task: "More", startedAt: 2 });
    expect(questionSubject(state, 2)).toEqual({ image, imageId: "kept-1", history: [{ task: "Explain", answer: "An API." }] });
  });

  it("has nothing to ask about on an empty page", () => {
    expect(questionSubject(emptyConversation, 1)).toBeNull();
  });
});
