import { existsSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startFakeModelServer, type FakeModelServer } from "@/tests/helpers/fake-model-server";
import * as openai from "@/tests/helpers/fake-openai";
import { ALICE, BOB, answerOf, personOn, type Person } from "@/tests/helpers/identities";
import { diagramPng } from "@/tests/helpers/images";
import { startNextServer, type RunningServer } from "@/tests/helpers/next-server";
import { POSTGRES_SKIP_REASON, postgresInstalled, startPostgres, type RunningPostgres } from "@/tests/helpers/postgres";

/**
 * Per-person fair use as a team's deployment runs it: two instances of the app over one
 * PostgreSQL database, people named by a trusted proxy, remote answers from the fake
 * OpenAI-compatible server (which reports its usage as a real one does). One limit for both
 * instances, not one each; one person's limit is theirs alone; usage recorded per turn.
 */

const PROJECT_ROOT = path.resolve(import.meta.dirname, "../..");
/** GET /api/usage is another change's; until it exists the usage table is read directly. */
const USAGE_ROUTE = existsSync(path.join(PROJECT_ROOT, "app/api/usage/route.ts"));

const MODEL = "fake-vision-model";
/** What the fake reports for each answer. */
const USAGE_PER_ANSWER = { prompt_tokens: 500, completion_tokens: 100, total_tokens: 600 };

let fake: FakeModelServer;
let postgres: RunningPostgres;
let databases = 0;
const servers: RunningServer[] = [];

beforeAll(async () => {
  if (!postgresInstalled()) return;
  [fake, postgres] = await Promise.all([startFakeModelServer(), startPostgres()]);
}, 60_000);
afterEach(async () => {
  fake?.reset();
  await Promise.all(servers.splice(0).map((server) => server.stop()));
});
afterAll(async () => {
  await fake?.close();
  await postgres?.stop();
});

interface Deployment {
  a: RunningServer;
  b: RunningServer;
  databaseUrl: string;
}

/** Two instances of the app on one new database, with these limits. */
async function twoInstances(limits: Record<string, string>): Promise<Deployment> {
  const databaseUrl = await postgres.createDatabase(`fair_use_instances_${++databases}`);
  const env = {
    AUTH_MODE: "proxy",
    DATABASE_URL: databaseUrl,
    OPENAI_BASE_URL: fake.openaiBaseUrl,
    OPENAI_MODEL: MODEL,
    MODEL_MAX_RETRIES: "0",
    ...limits,
  };
  // Started together: the migrator's lock keeps their migrations apart.
  const [a, b] = await Promise.all([startNextServer(env), startNextServer(env)]);
  servers.push(a, b);
  return { a, b, databaseUrl };
}

async function query<Row extends pg.QueryResultRow>(databaseUrl: string, text: string, values: unknown[] = []): Promise<Row[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query<Row>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/** A new question about a diagram, answered (and read to its end). */
async function asked(person: Person, fields: Record<string, string> = {}) {
  return answerOf(await person.analyze({ prompt: "Explain this architecture", ...fields }, await diagramPng(500)));
}

interface Refusal {
  status: number;
  retryAfter: number;
  code: string;
  message: string;
}

async function refusalOf(response: Response): Promise<Refusal> {
  const body = (await response.json()) as { error: { code: string; message: string } };
  return { status: response.status, retryAfter: Number(response.headers.get("retry-after")), ...body.error };
}

describe.skipIf(!postgresInstalled())("fair use over two instances on one PostgreSQL", () => {
  it("LIMIT_REQUESTS_PER_MINUTE: one count for both instances, per person", async () => {
    const { a, b } = await twoInstances({ LIMIT_REQUESTS_PER_MINUTE: "3" });
    const aliceOn = (server: RunningServer) => personOn(server, ALICE);

    await asked(aliceOn(a));
    await asked(aliceOn(b));
    await asked(aliceOn(a));
    for (const server of [b, a]) {
      const refused = await refusalOf(await aliceOn(server).analyze({ prompt: "Explain this architecture" }, await diagramPng(500)));
      expect(refused).toMatchObject({ status: 429, code: "rate_limited" });
      expect(refused.retryAfter).toBeGreaterThanOrEqual(1);
      expect(refused.retryAfter).toBeLessThanOrEqual(60);
      expect(refused.message).toMatch(/^You have started 3 analyses in the last minute, the most allowed; try again in \d+ seconds?\.$/);
    }
    // Only alice's minute is spent.
    expect((await asked(personOn(b, BOB))).ids.conversationId).toBeDefined();
    expect(fake.requestsFor("openai")).toHaveLength(4);
  });

  it("LIMIT_TOKENS_PER_DAY: remote answers spend the shared budget; over it, 429 until 00:00 UTC; the offline analyzer still answers", async () => {
    fake.reply(openai.textReply(["The gateway ", "fronts two functions."], { usage: USAGE_PER_ANSWER }));
    const { a, b, databaseUrl } = await twoInstances({ LIMIT_TOKENS_PER_DAY: "1000" });
    const alice = { a: personOn(a, ALICE), b: personOn(b, ALICE) };

    await asked(alice.a);
    await tokensCounted(databaseUrl, ALICE, 600);
    await asked(alice.b);
    await tokensCounted(databaseUrl, ALICE, 1200);

    for (const person of [alice.a, alice.b]) {
      const response = await person.analyze({ prompt: "Explain this architecture" }, await diagramPng(500));
      const refused = await refusalOf(response);
      expect(refused).toMatchObject({
        status: 429,
        code: "token_budget_exhausted",
        message: "You have used today's 1,000 tokens; the budget renews at 00:00 UTC.",
      });
      expectRetryAfterUntilUtcMidnight(refused.retryAfter);
    }
    expect(fake.requestsFor("openai")).toHaveLength(2);

    // The offline analyzer costs no tokens: it still answers her.
    const offline = await asked(alice.b, { provider: "offline" });
    expect(offline.events[0]).toMatchObject({ event: "meta", data: { provider: "offline" } });
    // Bob's budget is his own.
    await asked(personOn(a, BOB));
    expect(fake.requestsFor("openai")).toHaveLength(3);

    // Usage, one row per answered turn, from what the provider reported.
    const expected = [
      { provider: "offline", analyses: 1, inputTokens: 0, outputTokens: 0, totalTokens: 0 },
      { provider: "openai", analyses: 2, inputTokens: 1000, outputTokens: 200, totalTokens: 1200 },
    ];
    await expect.poll(() => usageOf(databaseUrl, alice.b), { timeout: 10_000 }).toEqual(expected);
  });
});

/**
 * Waits until the person's tokens for today have been counted: the count is written as the
 * answer ends, a moment after its last event reached the client.
 */
async function tokensCounted(databaseUrl: string, email: string, tokens: number) {
  await expect
    .poll(
      async () => {
        // The key is the person's id and the UTC day.
        const rows = await query<{ points: number }>(
          databaseUrl,
          "select f.points from fair_use_tokens f join auth_user u on f.key like '%' || u.id || ':%' where u.email = $1",
          [email],
        );
        return rows.reduce((sum, row) => sum + Number(row.points), 0);
      },
      { timeout: 10_000 },
    )
    .toBe(tokens);
}

/** Retry-After for the day's budget: the seconds left until 00:00 UTC (give or take the request's time). */
function expectRetryAfterUntilUtcMidnight(retryAfter: number) {
  const now = new Date();
  const untilMidnight = (Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1) - now.getTime()) / 1000;
  expect(retryAfter).toBeGreaterThan(0);
  expect(Math.abs(retryAfter - untilMidnight)).toBeLessThan(60);
}

/** The person's usage per provider: GET /api/usage when it exists, else the usage table itself. */
async function usageOf(databaseUrl: string, person: Person) {
  type Totals = { provider: string; analyses: number; inputTokens: number; outputTokens: number; totalTokens: number };
  const sorted = (rows: Totals[]) => rows.map((row) => ({ ...row })).sort((x, y) => x.provider.localeCompare(y.provider));
  if (USAGE_ROUTE) {
    const response = await person.request("/api/usage");
    expect(response.status).toBe(200);
    return sorted(((await response.json()) as { byProvider: Totals[] }).byProvider);
  }
  const rows = await query<{ provider: string; analyses: string; input: string; output: string; total: string }>(
    databaseUrl,
    `select provider, count(*) as analyses, sum(input_tokens) as input, sum(output_tokens) as output, sum(total_tokens) as total
       from usage join auth_user on auth_user.id = usage.owner_id where auth_user.email = $1 group by provider`,
    [person.email],
  );
  return sorted(
    rows.map((row) => ({ provider: row.provider, analyses: Number(row.analyses), inputTokens: Number(row.input), outputTokens: Number(row.output), totalTokens: Number(row.total) })),
  );
}

if (!postgresInstalled()) console.warn(POSTGRES_SKIP_REASON);
if (!USAGE_ROUTE) console.warn("fair-use-instances: GET /api/usage is not written yet; the usage table is read directly");
