/**
 * The history at scale: 10,000 stored conversations, on SQLite and on PostgreSQL. Measures the
 * server time of the list and the search (the route's handler, JSON included, in process), the
 * storage each conversation takes, and that one diagram asked about in many conversations is
 * stored once. Run with `npm run bench:history`; the markdown goes to stdout and to
 * bench/results/history.md. PostgreSQL is skipped, and the report says so, where it is not installed.
 */
import { createHash } from "node:crypto";
import { mkdtemp, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { sql } from "kysely";
import sharp from "sharp";
import { getAuthRuntime } from "@/lib/auth/identity";
import { parseConfig, type AppConfig } from "@/lib/config";
import { listConversations } from "@/lib/history/conversation-api";
import { getHistoryStore, SQLITE_FILE_NAME } from "@/lib/store/database";
import type { HistoryStore, ImageToKeep } from "@/lib/store/history-store";
import { formatBytes } from "@/lib/shared/format";
import { postgresInstalled, startPostgres } from "@/tests/helpers/postgres";
import { publishReport, recordSummary, type Figure, machineLine } from "./fixtures";
import { percentile } from "./stats";

const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const RESULTS_FILE = path.join(PROJECT_ROOT, "bench/results/history.md");
const CONVERSATIONS = 10_000;
const TURNS_PER_CONVERSATION = 2;
/** Distinct diagrams: each is asked about in CONVERSATIONS / DIAGRAMS conversations. */
const DIAGRAMS = 100;
const RUNS = 200;

const VOCABULARY = (
  "gateway lambda queue cache database replica region zone load balancer cluster node pod service " +
  "ingress egress firewall subnet vpc bucket storage stream kafka topic consumer producer worker " +
  "scheduler cron api rest grpc auth token identity user client browser cdn edge dns latency " +
  "throughput failover backup snapshot index shard partition primary secondary monitoring logs " +
  "metrics alert dashboard pipeline build deploy container image registry secret vault key"
).split(" ");
/** Words each in about ten conversations: what a search for something specific finds. */
const RARE_WORDS = Array.from({ length: CONVERSATIONS / 10 }, (_, index) => `component${index}`);

interface Timing {
  label: string;
  p50: number;
  p95: number;
  found: number;
}

async function main() {
  const images = await diagrams();
  const sections: string[] = [];
  const scratch = await mkdtemp(path.join(os.tmpdir(), "mra-bench-history-"));
  try {
    const sqliteConfig = parseConfig({ DATA_DIR: scratch });
    sections.push(await measure("SQLite", sqliteConfig, images, async () => (await stat(path.join(scratch, SQLITE_FILE_NAME))).size));
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  if (postgresInstalled()) {
    const postgres = await startPostgres();
    try {
      const config = parseConfig({ DATABASE_URL: await postgres.createDatabase("bench_history") });
      sections.push(await measure("PostgreSQL", config, images, async (store) => postgresBytes(store)));
    } finally {
      await postgres.stop();
    }
  } else {
    sections.push("## PostgreSQL\n\nNot measured: PostgreSQL is not installed on this machine.\n");
  }
  await publishReport(
    RESULTS_FILE,
    [
      "# History at scale",
      "",
      `${machineLine()}. ${CONVERSATIONS.toLocaleString("en")} conversations of ${TURNS_PER_CONVERSATION} turns (answers of about 2,500 characters), about ${DIAGRAMS} diagrams, each in ${CONVERSATIONS / DIAGRAMS} conversations. Server time per request: the route's handler in process (query and JSON), ${RUNS} requests each; target ≤ 50 ms at p95.`,
      "",
      ...sections,
    ].join("\n"),
  );
  await recordSummary("history", figures);
}

/** The slowest list and search at p95, per database, for bench/results/summary.json. */
const figures: Record<string, Figure> = {};

async function measure(name: string, config: AppConfig, images: ImageToKeep[], totalBytes: (store: HistoryStore) => Promise<number>): Promise<string> {
  const store = await getHistoryStore(config);
  const seedStarted = performance.now();
  await seed(store, images);
  const seedSeconds = (performance.now() - seedStarted) / 1000;
  const dependencies = { config, history: async () => store, auth: () => getAuthRuntime(config) };
  const request = async (query: string) => {
    const response = await listConversations(new Request(`http://localhost/api/conversations${query}`), dependencies);
    if (!response.ok) throw new Error(`${query}: ${response.status} ${await response.text()}`);
    return (await response.json()) as { conversations: unknown[]; nextCursor: string | null };
  };
  // A cursor fifty pages in: someone scrolling far back.
  let cursor: string | null = null;
  for (let page = 0; page < 50; page++) cursor = (await request(cursor ? `?cursor=${cursor}` : "")).nextCursor;
  const cases: Array<[string, string]> = [
    ["the first page", ""],
    ["page 51 (by cursor)", `?cursor=${cursor}`],
    ["search a common word (“gateway”)", "?q=gateway"],
    ["search as typed (“gatew”)", "?q=gatew"],
    ["search two words (“kafka consumer”)", "?q=kafka%20consumer"],
    ["search a rare word (“component77”)", "?q=component77"],
    ["search with no match (“zzzqqq”)", "?q=zzzqqq"],
  ];
  const timings: Timing[] = [];
  for (const [label, query] of cases) {
    const times: number[] = [];
    let found = 0;
    for (let run = 0; run < RUNS; run++) {
      const started = performance.now();
      found = (await request(query)).conversations.length;
      times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    timings.push({ label, p50: percentile(times, 0.5), p95: percentile(times, 0.95), found });
  }
  const key = name === "SQLite" ? "sqlite" : "postgres";
  const worst = (rows: Timing[]) => Math.max(...rows.map((timing) => timing.p95));
  figures[`${key}ListP95`] = { label: `${name}: slowest page of the list, p95, ${CONVERSATIONS.toLocaleString("en")} conversations`, value: worst(timings.slice(0, 2)), unit: "ms", target: { max: 50, of: "value" } };
  figures[`${key}SearchP95`] = { label: `${name}: slowest search, p95, ${CONVERSATIONS.toLocaleString("en")} conversations`, value: worst(timings.slice(2)), unit: "ms", target: { max: 50, of: "value" } };
  const imageRows = await store.db.selectFrom("images").select((eb) => [eb.fn.countAll().as("count"), eb.fn.sum("bytes").as("bytes")]).executeTakeFirstOrThrow();
  const total = await totalBytes(store);
  const imageBytes = Number(imageRows.bytes);
  await store.db.destroy();
  return [
    `## ${name}`,
    "",
    `Filled in ${seedSeconds.toFixed(1)} s.`,
    "",
    "| request | p50 ms | p95 ms | conversations returned |",
    "| --- | --- | --- | --- |",
    ...timings.map((timing) => `| ${timing.label} | ${timing.p50.toFixed(2)} | ${timing.p95.toFixed(2)} | ${timing.found} |`),
    "",
    `Storage: ${formatBytes(total)} in all; the ${Number(imageRows.count)} distinct diagrams take ${formatBytes(imageBytes)} (each stored once for its ${CONVERSATIONS / DIAGRAMS} conversations), so each conversation of ${TURNS_PER_CONVERSATION} turns takes ${formatBytes((total - imageBytes) / CONVERSATIONS)} with its search index.`,
    "",
  ].join("\n");
}

async function seed(store: HistoryStore, images: ImageToKeep[]) {
  let random = 42;
  const next = () => (random = (random * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  const words = (count: number) => Array.from({ length: count }, () => VOCABULARY[Math.floor(next() * VOCABULARY.length)]).join(" ");
  for (let index = 0; index < CONVERSATIONS; index++) {
    const { conversationId, turnId } = await store.startConversation({
      ownerId: "local",
      task: `Explain the ${words(3)} in this architecture`,
      provider: "gemini",
      model: "gemini-3.6-flash",
      depth: undefined,
      image: images[index % images.length]!,
      earlierTurns: [],
    });
    const answer = `## Overview\n${words(180)} ${RARE_WORDS[index % RARE_WORDS.length]}.\n\n## Data flow\n${words(180)}.`;
    await store.recordTurn(turnId, { answer, thoughts: words(40), status: "complete", finishReason: "stop", usage: { inputTokens: 1290, outputTokens: 612, totalTokens: 1902 }, firstTokenMs: 900, durationMs: 6000 });
    for (let turn = 1; turn < TURNS_PER_CONVERSATION; turn++) {
      const followUp = await store.startFollowUp({ ownerId: "local", task: `What if the ${words(2)} fails?`, provider: "gemini", model: "gemini-3.6-flash", depth: undefined, conversationId, replaceTurnId: undefined });
      await store.recordTurn(followUp!.turnId, { answer: words(360), thoughts: "", status: "complete", finishReason: "stop" });
    }
  }
}

/** Distinct diagram-sized PNGs (text and boxes), a few tens of KB each like the real fixtures. */
async function diagrams(): Promise<ImageToKeep[]> {
  return Promise.all(
    Array.from({ length: DIAGRAMS }, async (_, index) => {
      const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="1200" height="700"><rect width="1200" height="700" fill="#fff"/>${Array.from({ length: 12 }, (_, box) => `<rect x="${40 + (box % 4) * 290}" y="${60 + Math.floor(box / 4) * 210}" width="220" height="120" fill="#e8f0fe" stroke="#1a73e8"/><text x="${60 + (box % 4) * 290}" y="${125 + Math.floor(box / 4) * 210}" font-size="22" font-family="DejaVu Sans">${VOCABULARY[(index + box) % VOCABULARY.length]} ${index}</text>`).join("")}</svg>`;
      const data = await sharp(Buffer.from(svg)).png().toBuffer();
      return { hash: createHash("sha256").update(data).digest("hex"), data, width: 1200, height: 700, bytes: data.length, mimeType: "image/png" };
    }),
  );
}

async function postgresBytes(store: HistoryStore): Promise<number> {
  const result = await sql<{ bytes: string }>`select sum(pg_total_relation_size(quote_ident(tablename))) as bytes from pg_tables where schemaname = 'public'`.execute(store.db);
  return Number(result.rows[0]?.bytes ?? 0);
}


await main();
