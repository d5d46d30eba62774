import "server-only";
import { createHash } from "node:crypto";
import { RateLimiterPostgres, RateLimiterRes, RateLimiterSQLite, type RateLimiterStoreAbstract } from "rate-limiter-flexible";
import { getLogger } from "@/lib/ops/logger";
import { AppError } from "@/lib/shared/errors";
import type { DriverHandle } from "@/lib/store/database";

/**
 * Per-person fair use: analyses a minute, model tokens a day (UTC) and sign-in attempts, counted in
 * the history's own database (rate-limiter-flexible's SQLite and PostgreSQL stores) so that every
 * server instance over that database enforces one limit, not one each.
 */
export interface FairUseLimits {
  requestsPerMinute: number | undefined;
  tokensPerDay: number | undefined;
}

export interface FairUse {
  /**
   * Before an analysis starts: refuses with AppError("rate_limited") when the person has sent
   * requestsPerMinute analyses in the last minute, and with AppError("token_budget_exhausted") when
   * a remote provider is asked and today's (UTC) tokens already reach tokensPerDay. Counts the
   * request when admitted. `remote` is false for the offline analyzer (it costs no tokens, but still
   * counts as a request).
   */
  admitAnalysis(userId: string, options: { remote: boolean }): Promise<void>;
  /**
   * After a turn: adds the tokens the provider reported to the person's day (UTC). Never throws for
   * being over (the turn has happened); errors of the store are thrown.
   */
  recordTokens(userId: string, tokens: number): Promise<void>;
  /**
   * Sign-in attempts (password mode), per account (its e-mail, trimmed and lower-cased) and per
   * client address: refuses with AppError("rate_limited") once either has made its most attempts
   * in the window. Each call counts as an attempt against both.
   */
  admitSignIn(account: string, address: string): Promise<void>;
  /** A correct password: the account's count starts again (the address's does not). */
  signInSucceeded(account: string): Promise<void>;
}

/**
 * Sign-in attempts allowed per account in SIGN_IN_WINDOW_SECONDS; the next one is refused. Ten is
 * room for someone who has forgotten which of their passwords this is, while a guesser gets 40 an
 * hour against one account. The short window also bounds the other side of a per-account limit:
 * someone typing wrong passwords for another person's e-mail on purpose keeps that person out for
 * at most 15 minutes after they stop.
 */
export const SIGN_IN_ATTEMPTS_PER_ACCOUNT = 10;
/**
 * Sign-in attempts allowed per client address in SIGN_IN_WINDOW_SECONDS. One client trying a few
 * guesses against each of many accounts stays under the per-account limit; this catches it. It is
 * three accounts' worth because an office or a carrier's NAT puts several people behind one address.
 */
export const SIGN_IN_ATTEMPTS_PER_ADDRESS = 30;
export const SIGN_IN_WINDOW_SECONDS = 15 * 60;

/** The tables, created on first use (only for the limits that are set) with CREATE TABLE IF NOT EXISTS. */
export const FAIR_USE_TABLES = {
  requests: "fair_use_requests",
  tokens: "fair_use_tokens",
  signInAccounts: "fair_use_sign_in_accounts",
  signInAddresses: "fair_use_sign_in_addresses",
} as const;

const MINUTE_SECONDS = 60;
const DAY_SECONDS = 24 * 60 * 60;
/** Counts past their window are only ever ignored; deleting them now and then keeps the tables small. */
const SWEEP_INTERVAL_MS = 5 * 60_000;
/** rate-limiter-flexible's PostgreSQL table keys on varchar(255); longer ids are hashed to fit. */
const LONGEST_PLAIN_KEY = 200;

const numbers = new Intl.NumberFormat("en-US");

export function createFairUse(driver: DriverHandle, limits: FairUseLimits, now: () => Date = () => new Date()): FairUse {
  const { requestsPerMinute, tokensPerDay } = limits;
  const requests =
    requestsPerMinute === undefined
      ? undefined
      : lazily(() => openLimiter(driver, { tableName: FAIR_USE_TABLES.requests, points: requestsPerMinute, durationSeconds: MINUTE_SECONDS }));
  const tokens =
    tokensPerDay === undefined
      ? undefined
      : lazily(() => openLimiter(driver, { tableName: FAIR_USE_TABLES.tokens, points: tokensPerDay, durationSeconds: DAY_SECONDS }));
  const accounts = lazily(() =>
    openLimiter(driver, { tableName: FAIR_USE_TABLES.signInAccounts, points: SIGN_IN_ATTEMPTS_PER_ACCOUNT, durationSeconds: SIGN_IN_WINDOW_SECONDS }),
  );
  const addresses = lazily(() =>
    openLimiter(driver, { tableName: FAIR_USE_TABLES.signInAddresses, points: SIGN_IN_ATTEMPTS_PER_ADDRESS, durationSeconds: SIGN_IN_WINDOW_SECONDS }),
  );

  return {
    async admitAnalysis(userId, { remote }) {
      // The budget first, and only read: a request it refuses is not counted against the minute.
      if (remote && tokens && tokensPerDay !== undefined) {
        const at = now();
        const today = await (await tokens()).get(dayKey(userId, at));
        if (today && today.consumedPoints >= tokensPerDay) {
          throw new AppError(
            "token_budget_exhausted",
            `You have used today's ${numbers.format(tokensPerDay)} tokens; the budget renews at 00:00 UTC.`,
            { retryAfterSeconds: secondsUntilNextUtcDay(at) },
          );
        }
      }
      if (requests && requestsPerMinute !== undefined) {
        // consume() is one atomic upsert: two instances admitting at once cannot both take the last place.
        const refused = await refusal((await requests()).consume(plainKey(userId)));
        if (refused) {
          const seconds = Math.max(1, Math.ceil(refused.msBeforeNext / 1000));
          throw new AppError(
            "rate_limited",
            `You have started ${count(requestsPerMinute, "analysis", "analyses")} in the last minute, the most allowed; try again in ${count(seconds, "second", "seconds")}.`,
            { retryAfterSeconds: seconds },
          );
        }
      }
    },

    async recordTokens(userId, reported) {
      if (!tokens || tokensPerDay === undefined) return;
      // The count only has to reach the budget to refuse: one turn never adds more than the whole
      // budget, which keeps the sum far from PostgreSQL's integer column limit (2³¹) for any
      // sensible budget. Fractions would be refused by that column.
      const points = Math.min(Math.floor(reported), tokensPerDay);
      if (!(points > 0)) return;
      const at = now();
      // penalty() adds without comparing to the limit; the day's row lives until 00:00 UTC (the
      // key names the day as well, so a clock that disagrees by a little cannot merge two days).
      await refusal((await tokens()).penalty(dayKey(userId, at), points, { customDuration: secondsUntilNextUtcDay(at) }));
    },

    async admitSignIn(account, address) {
      const [perAccount, perAddress] = await Promise.all([accounts(), addresses()]);
      const refused = await Promise.all([
        refusal(perAccount.consume(accountKey(account))),
        refusal(perAddress.consume(hashedKey(address.trim().toLowerCase()))),
      ]);
      const waitMs = Math.max(...refused.map((each) => (each ? each.msBeforeNext : -1)));
      if (waitMs >= 0) {
        const minutes = Math.max(1, Math.ceil(waitMs / 60_000));
        throw new AppError("rate_limited", `Too many sign-in attempts; try again in ${count(minutes, "minute", "minutes")}.`, {
          retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)),
        });
      }
    },

    async signInSucceeded(account) {
      await (await accounts()).delete(accountKey(account));
    },
  };
}

/**
 * What a limiter's promise settled as: undefined when it was admitted, its RateLimiterRes when it
 * was refused (rate-limiter-flexible rejects with one); a failure of the store is thrown.
 */
async function refusal(operation: Promise<unknown>): Promise<RateLimiterRes | undefined> {
  try {
    await operation;
    return undefined;
  } catch (rejection) {
    if (rejection instanceof RateLimiterRes) return rejection;
    throw rejection;
  }
}

interface LimiterSpec {
  tableName: string;
  points: number;
  durationSeconds: number;
}

type StoreLimiter = RateLimiterStoreAbstract & { clearExpired(before: number): Promise<void> };

/**
 * PostgreSQL's answers to CREATE TABLE IF NOT EXISTS when another instance creates the same table
 * at the same moment: the name was free when checked, taken when written. The library accepts only
 * the first as "created by the other"; the other two also happen (both seen with six instances
 * starting at once: tests/integration/fair-use-postgres.test.ts).
 */
const CREATED_CONCURRENTLY = new Set(["23505" /* unique_violation */, "42710" /* duplicate_object: its row type */, "42P07" /* duplicate_table */]);
const CREATE_ATTEMPTS = 3;

/**
 * A limiter over the driver's own handle, once its table exists. CREATE TABLE IF NOT EXISTS is
 * safe when several instances start at once on SQLite (its write lock serialises them; the handle
 * waits busy_timeout); on PostgreSQL it can fail when another instance is creating the table in
 * the same instant, and then it is simply run again: the other's table is there by then.
 */
async function openLimiter(driver: DriverHandle, spec: LimiterSpec): Promise<StoreLimiter> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await createLimiter(driver, spec);
    } catch (error) {
      const code = (error as { code?: unknown } | null)?.code;
      if (driver.dialect !== "postgres" || attempt >= CREATE_ATTEMPTS || typeof code !== "string" || !CREATED_CONCURRENTLY.has(code)) throw error;
    }
  }
}

/**
 * rate-limiter-flexible creates the table from its constructor and refuses every call until that
 * has finished ("Table is not created yet"); without a callback a failure there would be an
 * unhandled rejection. So the callback is awaited.
 */
async function createLimiter(driver: DriverHandle, { tableName, points, durationSeconds }: LimiterSpec): Promise<StoreLimiter> {
  // keyPrefix "": one table per limit, so the keys need no prefix of their own. The library's own
  // sweep is off: on SQLite a failed sweep is an unhandled rejection; ours (below) logs it.
  const options = { tableName, keyPrefix: "", points, duration: durationSeconds, tableCreated: false, clearExpiredByTimeout: false };
  let ready!: (error?: Error) => void;
  const created = new Promise<void>((resolve, reject) => {
    ready = (error) => (error ? reject(error) : resolve());
  });
  const limiter =
    driver.dialect === "sqlite"
      ? new RateLimiterSQLite({ ...options, storeClient: driver.database, storeType: "better-sqlite3" }, ready)
      : // The pool itself, not a client checked out of it: each query borrows a connection and gives
        // it back, where one client would serialise every instance's queries and hold a connection.
        // "pool" is said outright: the library otherwise guesses from the constructor's name.
        new RateLimiterPostgres({ ...options, storeClient: driver.pool, storeType: "pool" }, ready);
  await created;
  const storeLimiter = limiter as StoreLimiter;
  sweepExpired(storeLimiter, tableName);
  return storeLimiter;
}

function sweepExpired(limiter: StoreLimiter, tableName: string) {
  const timer = setInterval(() => {
    limiter.clearExpired(Date.now()).catch((error: unknown) => {
      getLogger().warn({ component: "fair-use", event: "sweep_failed", table: tableName, message: error instanceof Error ? error.message : String(error) });
    });
  }, SWEEP_INTERVAL_MS);
  timer.unref();
}

/** Opened on first use and shared by every caller after; a failed opening is tried again by the next caller. */
function lazily<T>(open: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    if (!pending) {
      const attempt = open();
      pending = attempt;
      attempt.catch(() => {
        if (pending === attempt) pending = undefined;
      });
    }
    return pending;
  };
}

/** A person's id as it is, unless too long for the PostgreSQL table's key. */
function plainKey(id: string): string {
  return id.length <= LONGEST_PLAIN_KEY ? id : hashedKey(id);
}

/** The person's count for the UTC day `at` falls in: a new day is a new key, whatever the row's expiry says. */
function dayKey(userId: string, at: Date): string {
  return `${plainKey(userId)}:${at.toISOString().slice(0, 10)}`;
}

/**
 * Accounts and addresses are typed by whoever tries to sign in: hashed, their length is bounded
 * and the table holds no e-mail addresses or IP addresses of people who never got in.
 */
function accountKey(account: string): string {
  return hashedKey(account.trim().toLowerCase());
}

function hashedKey(value: string): string {
  return `sha256:${createHash("sha256").update(value).digest("hex")}`;
}

function secondsUntilNextUtcDay(at: Date): number {
  const nextDay = Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate() + 1);
  return Math.max(1, Math.ceil((nextDay - at.getTime()) / 1000));
}

function count(value: number, one: string, many: string): string {
  return `${numbers.format(value)} ${value === 1 ? one : many}`;
}
