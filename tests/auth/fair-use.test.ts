import path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  createFairUse,
  SIGN_IN_ATTEMPTS_PER_ACCOUNT,
  SIGN_IN_ATTEMPTS_PER_ADDRESS,
  type FairUseLimits,
} from "@/lib/auth/fair-use";
import { AppError, errorResponse } from "@/lib/shared/errors";
import { openHistoryDatabase, SQLITE_FILE_NAME, type DriverHandle, type OpenedDatabase } from "@/lib/store/database";
import { writeTemp } from "@/tests/helpers/temp-files";

/**
 * Fair use on a real SQLite file (PostgreSQL: tests/integration/fair-use-postgres.test.ts). Only
 * Date is faked: rate-limiter-flexible reads Date.now() for its windows, and the database calls
 * are real.
 */
const START = Date.parse("2025-03-10T12:00:00.000Z");
const opened: OpenedDatabase[] = [];

/** Closes the file itself: Kysely's destroy() closes it only once Kysely has used it. */
async function close(database: OpenedDatabase) {
  await database.db.destroy();
  if (database.driver.dialect === "sqlite" && database.driver.database.open) database.driver.database.close();
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(START);
});

afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(opened.splice(0).map(close));
});

/** A fresh data directory, as one server's DATA_DIR. */
async function dataDirectory(): Promise<string> {
  return path.dirname(await writeTemp(new Uint8Array(), SQLITE_FILE_NAME));
}

/** The history's settings with DATA_DIR set (and no DATABASE_URL): SQLite in that directory. */
function sqliteSettings(directory: string): Parameters<typeof openHistoryDatabase>[0] {
  return { databaseUrl: undefined, dataDirectory: directory, retentionDays: undefined, publicUrl: undefined };
}

/** One server instance's own connection to the history's SQLite file, opened as the server opens it. */
function connect(directory: string): DriverHandle {
  const database = openHistoryDatabase(sqliteSettings(directory));
  opened.push(database);
  return database.driver;
}

async function fairUseOnFreshFile(limits: FairUseLimits, now?: () => Date) {
  const driver = connect(await dataDirectory());
  return { fairUse: createFairUse(driver, limits, now), driver };
}

function tablesOf(driver: DriverHandle): string[] {
  if (driver.dialect !== "sqlite") throw new Error("a SQLite handle was expected");
  const rows = driver.database.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'fair_use_%' ORDER BY name").all();
  return (rows as { name: string }[]).map((row) => row.name);
}

/** The AppError a refused call rejects with (fails the test when it was admitted or failed otherwise). */
async function refusal(call: Promise<unknown>): Promise<AppError> {
  const outcome = await call.then(
    () => "admitted",
    (error: unknown) => error,
  );
  expect(outcome).toBeInstanceOf(AppError);
  return outcome as AppError;
}

async function admitTimes(times: number, admit: () => Promise<void>) {
  for (let attempt = 0; attempt < times; attempt++) await admit();
}

const remote = { remote: true };
const offline = { remote: false };

describe("analyses per minute", () => {
  it("refuses the next analysis once the person has started the most allowed, saying when to try again", async () => {
    const { fairUse } = await fairUseOnFreshFile({ requestsPerMinute: 3, tokensPerDay: undefined });
    await admitTimes(3, () => fairUse.admitAnalysis("ann", remote));

    vi.setSystemTime(START + 37_000);
    const error = await refusal(fairUse.admitAnalysis("ann", remote));
    expect(error.code).toBe("rate_limited");
    expect(error.status).toBe(429);
    expect(error.retryAfterSeconds).toBe(23);
    expect(error.message).toBe("You have started 3 analyses in the last minute, the most allowed; try again in 23 seconds.");
    expect(errorResponse(error).headers.get("Retry-After")).toBe("23");

    // Another person is not held back by Ann's count.
    await expect(fairUse.admitAnalysis("bob", remote)).resolves.toBeUndefined();
  });

  it("counts offline analyses as requests too", async () => {
    const { fairUse } = await fairUseOnFreshFile({ requestsPerMinute: 2, tokensPerDay: undefined });
    await fairUse.admitAnalysis("ann", offline);
    await fairUse.admitAnalysis("ann", remote);
    expect((await refusal(fairUse.admitAnalysis("ann", offline))).code).toBe("rate_limited");
  });

  it("admits again once the minute has passed, and counts the new minute from its first analysis", async () => {
    const { fairUse } = await fairUseOnFreshFile({ requestsPerMinute: 2, tokensPerDay: undefined });
    await admitTimes(2, () => fairUse.admitAnalysis("ann", remote));

    vi.setSystemTime(START + 59_500);
    const almost = await refusal(fairUse.admitAnalysis("ann", remote));
    expect(almost.retryAfterSeconds).toBe(1);
    expect(almost.message).toBe("You have started 2 analyses in the last minute, the most allowed; try again in 1 second.");

    vi.setSystemTime(START + 60_001);
    await admitTimes(2, () => fairUse.admitAnalysis("ann", remote));
    const again = await refusal(fairUse.admitAnalysis("ann", remote));
    expect(again.code).toBe("rate_limited");
    expect(again.retryAfterSeconds).toBe(60);
  });
});

describe("tokens per day", () => {
  it("refuses remote analyses once today's tokens reach the budget, until 00:00 UTC", async () => {
    let clock = new Date("2025-03-10T21:30:00.000Z");
    const { fairUse } = await fairUseOnFreshFile({ requestsPerMinute: undefined, tokensPerDay: 200_000 }, () => clock);

    await fairUse.admitAnalysis("ann", remote);
    await fairUse.recordTokens("ann", 150_000);
    await fairUse.recordTokens("ann", 49_999);
    await expect(fairUse.admitAnalysis("ann", remote)).resolves.toBeUndefined();

    await fairUse.recordTokens("ann", 1);
    const error = await refusal(fairUse.admitAnalysis("ann", remote));
    expect(error.code).toBe("token_budget_exhausted");
    expect(error.status).toBe(429);
    expect(error.message).toBe("You have used today's 200,000 tokens; the budget renews at 00:00 UTC.");
    expect(error.retryAfterSeconds).toBe(2.5 * 60 * 60);
    expect(errorResponse(error).headers.get("Retry-After")).toBe("9000");

    // A turn that was already running still records its tokens, over the budget, without an error.
    await expect(fairUse.recordTokens("ann", 80_000)).resolves.toBeUndefined();
    // The offline analyzer costs no tokens; another person has a budget of their own.
    await expect(fairUse.admitAnalysis("ann", offline)).resolves.toBeUndefined();
    await expect(fairUse.admitAnalysis("bob", remote)).resolves.toBeUndefined();

    clock = new Date("2025-03-10T23:59:59.000Z");
    expect((await refusal(fairUse.admitAnalysis("ann", remote))).retryAfterSeconds).toBe(1);
    clock = new Date("2025-03-11T00:00:00.000Z");
    await expect(fairUse.admitAnalysis("ann", remote)).resolves.toBeUndefined();
  });

  it("does not count a request the budget refused against the minute", async () => {
    const { fairUse } = await fairUseOnFreshFile({ requestsPerMinute: 2, tokensPerDay: 100 });
    await fairUse.recordTokens("ann", 100);
    for (let attempt = 0; attempt < 3; attempt++) {
      expect((await refusal(fairUse.admitAnalysis("ann", remote))).code).toBe("token_budget_exhausted");
    }
    await admitTimes(2, () => fairUse.admitAnalysis("ann", offline));
    expect((await refusal(fairUse.admitAnalysis("ann", offline))).code).toBe("rate_limited");
  });

  it("ignores reports of no tokens and rounds fractions down", async () => {
    const { fairUse } = await fairUseOnFreshFile({ requestsPerMinute: undefined, tokensPerDay: 10 });
    await fairUse.recordTokens("ann", 0);
    await fairUse.recordTokens("ann", -5);
    await fairUse.recordTokens("ann", Number.NaN);
    await fairUse.recordTokens("ann", 9.9);
    await expect(fairUse.admitAnalysis("ann", remote)).resolves.toBeUndefined();
    await fairUse.recordTokens("ann", 1);
    expect((await refusal(fairUse.admitAnalysis("ann", remote))).code).toBe("token_budget_exhausted");
  });
});

describe("several instances over one SQLite file", () => {
  it("share one count for analyses, tokens and sign-ins", async () => {
    const directory = await dataDirectory();
    const limits = { requestsPerMinute: 4, tokensPerDay: 1_000 };
    const [first, second] = [createFairUse(connect(directory), limits), createFairUse(connect(directory), limits)];

    // Both start at once: each creates the tables it needs.
    await Promise.all([first.admitAnalysis("ann", remote), second.admitAnalysis("ann", remote)]);
    await first.admitAnalysis("ann", remote);
    await second.admitAnalysis("ann", remote);
    expect((await refusal(first.admitAnalysis("ann", remote))).code).toBe("rate_limited");
    expect((await refusal(second.admitAnalysis("ann", remote))).code).toBe("rate_limited");

    await first.recordTokens("cy", 600);
    await second.recordTokens("cy", 400);
    expect((await refusal(first.admitAnalysis("cy", remote))).code).toBe("token_budget_exhausted");
    expect((await refusal(second.admitAnalysis("cy", remote))).code).toBe("token_budget_exhausted");

    for (let attempt = 0; attempt < SIGN_IN_ATTEMPTS_PER_ACCOUNT; attempt++) {
      await (attempt % 2 ? first : second).admitSignIn("dee@example.com", `10.0.0.${attempt}`);
    }
    expect((await refusal(first.admitSignIn("dee@example.com", "10.0.1.1"))).code).toBe("rate_limited");
    await second.signInSucceeded("dee@example.com");
    await expect(first.admitSignIn("dee@example.com", "10.0.1.1")).resolves.toBeUndefined();
  });
});

describe("without limits", () => {
  it("never refuses an analysis and keeps no counts", async () => {
    const { fairUse, driver } = await fairUseOnFreshFile({ requestsPerMinute: undefined, tokensPerDay: undefined });
    await admitTimes(100, () => fairUse.admitAnalysis("ann", remote));
    await fairUse.recordTokens("ann", 1_000_000_000);
    await admitTimes(10, () => fairUse.admitAnalysis("ann", remote));
    expect(tablesOf(driver)).toEqual([]);
  });

  it("keeps tables only for the limits that are set", async () => {
    const { fairUse, driver } = await fairUseOnFreshFile({ requestsPerMinute: 5, tokensPerDay: undefined });
    await fairUse.admitAnalysis("ann", remote);
    await fairUse.recordTokens("ann", 10);
    expect(tablesOf(driver)).toEqual(["fair_use_requests"]);
    await fairUse.admitSignIn("ann@example.com", "10.0.0.1");
    expect(tablesOf(driver)).toEqual(["fair_use_requests", "fair_use_sign_in_accounts", "fair_use_sign_in_addresses"]);
  });
});

describe("sign-in attempts", () => {
  const limits = { requestsPerMinute: undefined, tokensPerDay: undefined };

  it("refuses an account after its most attempts, whatever the e-mail's case, until the window ends", async () => {
    const { fairUse } = await fairUseOnFreshFile(limits);
    const spellings = ["ann@example.com", " Ann@Example.com", "ANN@EXAMPLE.COM "];
    for (let attempt = 0; attempt < SIGN_IN_ATTEMPTS_PER_ACCOUNT; attempt++) {
      await fairUse.admitSignIn(spellings[attempt % spellings.length]!, `10.0.0.${attempt}`);
    }

    const error = await refusal(fairUse.admitSignIn("ann@example.com", "10.0.1.1"));
    expect(error.code).toBe("rate_limited");
    expect(error.status).toBe(429);
    expect(error.message).toBe("Too many sign-in attempts; try again in 15 minutes.");
    expect(error.retryAfterSeconds).toBe(15 * 60);
    // Another account from the same address may still try.
    await expect(fairUse.admitSignIn("bob@example.com", "10.0.1.1")).resolves.toBeUndefined();

    vi.setSystemTime(START + 14 * 60_000 + 30_000);
    const later = await refusal(fairUse.admitSignIn("ann@example.com", "10.0.1.2"));
    expect(later.message).toBe("Too many sign-in attempts; try again in 1 minute.");
    expect(later.retryAfterSeconds).toBe(30);

    vi.setSystemTime(START + 15 * 60_000 + 1);
    await expect(fairUse.admitSignIn("ann@example.com", "10.0.1.3")).resolves.toBeUndefined();
  });

  it("refuses an address after its most attempts, across accounts", async () => {
    const { fairUse } = await fairUseOnFreshFile(limits);
    for (let attempt = 0; attempt < SIGN_IN_ATTEMPTS_PER_ADDRESS; attempt++) {
      await fairUse.admitSignIn(`person${attempt}@example.com`, "203.0.113.7");
    }
    const error = await refusal(fairUse.admitSignIn("new@example.com", "203.0.113.7"));
    expect(error.code).toBe("rate_limited");
    expect(error.message).toBe("Too many sign-in attempts; try again in 15 minutes.");
    await expect(fairUse.admitSignIn("new@example.com", "203.0.113.8")).resolves.toBeUndefined();
  });

  it("starts an account's count again after a successful sign-in, but not its address's", async () => {
    const { fairUse } = await fairUseOnFreshFile(limits);
    await admitTimes(SIGN_IN_ATTEMPTS_PER_ACCOUNT, () => fairUse.admitSignIn("ann@example.com", "198.51.100.1"));
    expect((await refusal(fairUse.admitSignIn("ann@example.com", "198.51.100.2"))).code).toBe("rate_limited");
    await fairUse.signInSucceeded("Ann@Example.com");
    await admitTimes(SIGN_IN_ATTEMPTS_PER_ACCOUNT, () => fairUse.admitSignIn("ann@example.com", "198.51.100.3"));
    expect((await refusal(fairUse.admitSignIn("ann@example.com", "198.51.100.4"))).code).toBe("rate_limited");

    for (let attempt = 1; attempt < SIGN_IN_ATTEMPTS_PER_ADDRESS; attempt++) {
      await fairUse.admitSignIn(`person${attempt}@example.com`, "192.0.2.1");
    }
    await fairUse.admitSignIn("carol@example.com", "192.0.2.1");
    await fairUse.signInSucceeded("carol@example.com");
    expect((await refusal(fairUse.admitSignIn("dave@example.com", "192.0.2.1"))).code).toBe("rate_limited");
  });
});

describe("a store that fails", () => {
  it("throws its error rather than admitting or refusing", async () => {
    const directory = await dataDirectory();
    const database = openHistoryDatabase(sqliteSettings(directory));
    const fairUse = createFairUse(database.driver, { requestsPerMinute: 5, tokensPerDay: 100 });
    await fairUse.admitAnalysis("ann", remote);
    await close(database);

    for (const call of [fairUse.admitAnalysis("ann", remote), fairUse.admitAnalysis("ann", offline), fairUse.recordTokens("ann", 5), fairUse.admitSignIn("ann@example.com", "10.0.0.1")]) {
      const outcome = await call.then(
        () => "admitted",
        (error: unknown) => error,
      );
      expect(outcome).toBeInstanceOf(Error);
      expect(outcome).not.toBeInstanceOf(AppError);
    }
  });
});
