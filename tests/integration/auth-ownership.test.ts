import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { conversationListSchema, conversationSchema, shareLinkSchema, type Conversation } from "@/lib/shared/history-contract";
import { ALICE, BOB, answerOf, personOn, refusalOf, signedOutOn, type Person } from "@/tests/helpers/identities";
import { diagramPng } from "@/tests/helpers/images";
import { startNextServer, type RunningServer } from "@/tests/helpers/next-server";

/**
 * The ownership corpus: alice's conversation, turn, kept image, share link and API token, and bob
 * trying each of them through every route that takes an id. Every check is the server's, per
 * object: bob gets the answer an id that never existed gets (404), never 403 (which would say
 * the id is someone's) and never 200; and alice's things are as they were afterwards. Signed out,
 * every route answers 401 and the page sends the visitor to sign in.
 *
 * A new route that takes an id is one more line in ATTEMPTS.
 */

const PROJECT_ROOT = path.resolve(import.meta.dirname, "../..");
/** POST /api/tokens and DELETE /api/tokens/:id are another change's; until they exist their part is skipped. */
const TOKENS_ROUTES = ["app/api/tokens/route.ts", "app/api/tokens/[id]/route.ts"].every((file) => existsSync(path.join(PROJECT_ROOT, file)));
const TOKENS_SKIP_REASON = "POST /api/tokens and DELETE /api/tokens/:id are not written yet";

/** A word only alice's title has, to search for. */
const ALICES_WORD = "Zebracorn";

/** What an attempt is aimed at: alice's ids, or ids that never existed. */
interface Target {
  conversationId: string;
  turnId: string;
  imageId: string;
  tokenId: string;
}

interface Attempt {
  route: string;
  send(person: Person, target: Target, own: { conversationId: string }): Promise<Response>;
  /** The answer for an id that is not the person's; 404 not_found unless said. */
  refusal?: { status: number; code: string };
  /** For a request that changes nothing: the status its owner gets, which shows the route works. */
  ownerGets?: number;
  needsTokens?: true;
}

const NOT_FOUND = { status: 404, code: "not_found" };

const ATTEMPTS: Attempt[] = [
  { route: "GET /api/conversations/:id", send: (person, { conversationId }) => person.request(`/api/conversations/${conversationId}`), ownerGets: 200 },
  {
    route: "PATCH /api/conversations/:id",
    send: (person, { conversationId }) => person.json(`/api/conversations/${conversationId}`, "PATCH", { title: "Renamed by someone else" }),
  },
  { route: "DELETE /api/conversations/:id", send: (person, { conversationId }) => person.request(`/api/conversations/${conversationId}`, { method: "DELETE" }) },
  {
    route: "GET /api/conversations/:id/image",
    send: (person, { conversationId }) => person.request(`/api/conversations/${conversationId}/image`),
    ownerGets: 200,
  },
  {
    route: "GET /api/conversations/:id/image?size=thumb",
    send: (person, { conversationId }) => person.request(`/api/conversations/${conversationId}/image?size=thumb`),
    ownerGets: 200,
  },
  {
    route: "GET /api/conversations/:id/export?format=md",
    send: (person, { conversationId }) => person.request(`/api/conversations/${conversationId}/export?format=md`),
    ownerGets: 200,
  },
  {
    route: "GET /api/conversations/:id/export?format=json",
    send: (person, { conversationId }) => person.request(`/api/conversations/${conversationId}/export?format=json`),
    ownerGets: 200,
  },
  { route: "POST /api/conversations/:id/share", send: (person, { conversationId }) => person.request(`/api/conversations/${conversationId}/share`, { method: "POST" }) },
  {
    route: "DELETE /api/conversations/:id/share",
    send: (person, { conversationId }) => person.request(`/api/conversations/${conversationId}/share`, { method: "DELETE" }),
  },
  {
    route: "POST /api/analyze, a follow-up to the conversation",
    send: (person, { conversationId }) => person.analyze({ prompt: "And what does it cost?", conversationId }),
  },
  {
    // In the person's own conversation, so only the turn is someone else's.
    route: "POST /api/analyze, replacing the turn",
    send: (person, { turnId }, own) => person.analyze({ prompt: "Again, please", conversationId: own.conversationId, replaceTurnId: turnId }),
  },
  {
    // An image id is a key to the memory cache, and an unknown one is answered 410 so that the
    // page uploads the file again (lib/client/request-analysis.ts): someone else's must get
    // exactly that answer, which says nothing about whether the image is kept.
    route: "POST /api/analyze with the kept image's id",
    send: (person, { imageId }) => person.analyze({ prompt: "What is in this image?", imageId }),
    refusal: { status: 410, code: "image_expired" },
  },
  { route: "DELETE /api/tokens/:id", send: (person, { tokenId }) => person.request(`/api/tokens/${tokenId}`, { method: "DELETE" }), needsTokens: true },
];

const NEVER_EXISTED: Target = { conversationId: "neverExisted0000000000", turnId: "neverExistedTurn000000", imageId: "neverExistedImage", tokenId: randomUUID() };

let server: RunningServer;
let alice: Person;
let bob: Person;
let alices: Target;
let alicesShareToken: string;
let alicesToken: string | undefined;
let alicesConversationBefore: Conversation;
let bobs: { conversationId: string };

beforeAll(async () => {
  server = await startNextServer({ AUTH_MODE: "proxy" });
  alice = personOn(server, ALICE);
  bob = personOn(server, BOB);

  // Offline analyzer (no model configured): real answers, saved as any other.
  const first = await answerOf(await alice.analyze({ prompt: `Explain the ${ALICES_WORD} gateway` }, await diagramPng()));
  const followUp = await answerOf(await alice.analyze({ prompt: "And the storage?", conversationId: first.ids.conversationId }));
  expect(followUp.ids.conversationId).toBe(first.ids.conversationId);
  expect(first.ids.imageId).toBeDefined();

  const share = await alice.request(`/api/conversations/${first.ids.conversationId}/share`, { method: "POST" });
  expect(share.status).toBe(201);
  alicesShareToken = new URL(shareLinkSchema.parse(await share.json()).url).pathname.split("/").at(-1)!;

  let tokenId: string = randomUUID();
  if (TOKENS_ROUTES) {
    const created = await alice.json("/api/tokens", "POST", { name: "alice's script" });
    expect(created.status).toBe(201);
    const body = (await created.json()) as { token: string; summary: { id: string } };
    alicesToken = body.token;
    tokenId = body.summary.id;
  }
  alices = { conversationId: first.ids.conversationId, turnId: followUp.ids.turnId, imageId: first.ids.imageId!, tokenId };
  alicesConversationBefore = conversationSchema.parse(await (await alice.request(`/api/conversations/${alices.conversationId}`)).json());
  expect(alicesConversationBefore.turns).toHaveLength(2);

  bobs = (await answerOf(await bob.analyze({ prompt: "Explain this pipeline" }, await diagramPng(700)))).ids;
}, 60_000);

afterAll(async () => {
  await server?.stop();
});

async function listed(person: Person, query = ""): Promise<string[]> {
  const response = await person.request(`/api/conversations?q=${encodeURIComponent(query)}`);
  expect(response.status).toBe(200);
  return conversationListSchema.parse(await response.json()).conversations.map((each) => each.id);
}

describe("another member's ids", () => {
  for (const attempt of ATTEMPTS) {
    it.skipIf(attempt.needsTokens && !TOKENS_ROUTES)(`${attempt.route}: answered as an id that never existed`, async () => {
      const onAlices = await refusalOf(await attempt.send(bob, alices, bobs));
      const onNothing = await refusalOf(await attempt.send(bob, NEVER_EXISTED, bobs));
      expect(onAlices).toEqual(attempt.refusal ?? NOT_FOUND);
      expect(onNothing).toEqual(onAlices);
      if (attempt.ownerGets !== undefined) expect((await attempt.send(alice, alices, alices)).status).toBe(attempt.ownerGets);
    });
  }

  it("the list is each person's own, and search finds only their own", async () => {
    expect(await listed(alice)).toEqual([alices.conversationId]);
    expect(await listed(alice, ALICES_WORD)).toEqual([alices.conversationId]);
    expect(await listed(bob)).toEqual([bobs.conversationId]);
    expect(await listed(bob, ALICES_WORD)).toEqual([]);
  });

  // Last: after every attempt above.
  it("leaves alice's things as they were: her conversation, its image, her share link and her token", async () => {
    expect(await listed(alice)).toEqual([alices.conversationId]);
    const after = conversationSchema.parse(await (await alice.request(`/api/conversations/${alices.conversationId}`)).json());
    expect(after).toEqual(alicesConversationBefore);
    expect((await alice.request(`/api/conversations/${alices.conversationId}/image`)).status).toBe(200);
    // The link still opens, for a member (a team link).
    expect((await bob.request(`/s/${alicesShareToken}/image`)).status).toBe(200);
    // A follow-up on the kept image still works for her.
    const again = await answerOf(await alice.analyze({ prompt: "One more look", imageId: alices.imageId }));
    expect(again.ids.conversationId).not.toBe(alices.conversationId);
    await alice.request(`/api/conversations/${again.ids.conversationId}`, { method: "DELETE" });
  });

  it.skipIf(!TOKENS_ROUTES)("leaves alice's API token working", async () => {
    const byToken = await signedOutOn(server).request("/api/conversations", { headers: { Authorization: `Bearer ${alicesToken}` } });
    expect(byToken.status).toBe(200);
    expect(conversationListSchema.parse(await byToken.json()).conversations.map((each) => each.id)).toEqual([alices.conversationId]);
  });
});

describe("signed out", () => {
  const UNAUTHORIZED = { status: 401, code: "unauthorized" };
  const listRoutes: Attempt[] = [
    { route: "GET /api/conversations", send: (person) => person.request("/api/conversations") },
    { route: "DELETE /api/conversations", send: (person) => person.request("/api/conversations", { method: "DELETE" }) },
    { route: "POST /api/analyze with a new image", send: async (person) => person.analyze({ prompt: "Explain this" }, await diagramPng(400)) },
    { route: "GET /api/tokens", send: (person) => person.request("/api/tokens"), needsTokens: true },
    { route: "POST /api/tokens", send: (person) => person.json("/api/tokens", "POST", { name: "a script" }), needsTokens: true },
  ];

  for (const attempt of [...ATTEMPTS, ...listRoutes]) {
    it.skipIf(attempt.needsTokens && !TOKENS_ROUTES)(`${attempt.route}: 401`, async () => {
      expect(await refusalOf(await attempt.send(signedOutOn(server), alices, bobs))).toEqual(UNAUTHORIZED);
    });
  }

  it("the page sends the visitor to sign in, at / and at a conversation's address", async () => {
    for (const page of ["/", `/c/${alices.conversationId}`]) {
      const response = await signedOutOn(server).request(page);
      expect(response.status, page).toBe(307);
      expect(new URL(response.headers.get("location")!, server.url).pathname, page).toBe("/sign-in");
    }
  });

  it("did not change alice's things either", async () => {
    const after = conversationSchema.parse(await (await alice.request(`/api/conversations/${alices.conversationId}`)).json());
    expect(after).toEqual(alicesConversationBefore);
    expect((await alice.request(`/s/${alicesShareToken}/image`)).status).toBe(200);
  });
});

if (!TOKENS_ROUTES) console.warn(`auth-ownership: ${TOKENS_SKIP_REASON}; their part of the corpus is skipped`);
