import "server-only";
import path from "node:path";
import { z } from "zod";
import { PROVIDER_IDS, type ProviderId } from "@/lib/shared/providers";
import { THINKING_DEPTHS, type ThinkingDepth } from "@/lib/shared/thinking";
import { allowedHostsFrom, type AllowedHosts } from "@/lib/security/host-names";
import { DEFAULT_UPLOAD_DIRECTORY } from "@/lib/upload/upload-directory";
import { parseTrustedProxies } from "@/lib/auth/trusted-proxies";
import { AUTH_MODES, type AuthMode } from "@/lib/shared/auth";

/**
 * Every setting the server reads from the environment, validated once.
 * `.env.example` documents each variable; keep the two in step.
 */

// `.env` files often carry `KEY=` lines for settings a team does not use: treat them as unset.
const blankAsUnset = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (typeof value === "string" && value.trim() === "" ? undefined : value), schema);

const optionalText = blankAsUnset(z.string().trim().optional());
const positiveInteger = (fallback: number) => blankAsUnset(z.coerce.number().int().positive().default(fallback));
const nonNegativeInteger = (fallback: number) => blankAsUnset(z.coerce.number().int().min(0).default(fallback));

/**
 * An http(s) base URL. Credentials in it would be quoted in error messages (and fetch refuses
 * them); the SDKs append their paths after a query string, so one would break every call.
 */
const optionalUrl = optionalText.pipe(
  z
    .url({ protocol: /^https?$/, abort: true })
    .refine((value) => !new URL(value).username && !new URL(value).password, {
      message: "must not contain a user name or password; put keys in the *_API_KEY variable",
    })
    .refine((value) => !new URL(value).search && !new URL(value).hash, {
      message: "must not contain a query string or fragment",
    })
    .optional(),
);


const environmentBaseSchema = z.object({
    LLM_PROVIDER: optionalText.pipe(z.enum(PROVIDER_IDS).optional()),
    GEMINI_API_KEY: optionalText,
    GEMINI_MODEL: optionalText.pipe(z.string().default("gemini-3.6-flash")),
    GEMINI_BASE_URL: optionalUrl,
    GEMINI_THINKING_LEVEL: optionalText.pipe(z.enum(THINKING_DEPTHS).optional()),
    GEMINI_MEDIA_RESOLUTION: optionalText.pipe(z.enum(["low", "medium", "high"]).optional()),
    OPENAI_BASE_URL: optionalUrl,
    OPENAI_API_KEY: optionalText,
    OPENAI_MODEL: optionalText,
    MODEL_MAX_RETRIES: nonNegativeInteger(2),
    MODEL_FIRST_TOKEN_TIMEOUT_SECONDS: positiveInteger(120),
    MODEL_IDLE_TIMEOUT_SECONDS: positiveInteger(60),
    MAX_UPLOAD_MB: positiveInteger(200),
    MAX_IMAGE_PIXELS: positiveInteger(100_000_000),
    MAX_IMAGE_EDGE: positiveInteger(3072),
    UPLOAD_DIR: optionalText,
    IMAGE_CACHE_MINUTES: positiveInteger(30),
    IMAGE_CACHE_MB: nonNegativeInteger(256),
    PREPARE_CONCURRENCY: positiveInteger(2),
    PREPARE_QUEUE: nonNegativeInteger(16),
    OFFLINE_QUEUE: nonNegativeInteger(4),
    IMAGE_TIMEOUT_SECONDS: positiveInteger(20),
    MAX_JPEG_SCANS: positiveInteger(64),
    OCR_MAX_TEXT_LINES: positiveInteger(400),
    OCR_TIME_BUDGET_SECONDS: positiveInteger(8),
    ANALYSIS_CACHE_MB: nonNegativeInteger(32),
    UV_THREADPOOL_SIZE: positiveInteger(4),
    PUBLIC_URL: optionalUrl,
    ALLOWED_HOSTS: optionalText,
    UPLOAD_IDLE_TIMEOUT_SECONDS: positiveInteger(20),
    UPLOAD_TIMEOUT_SECONDS: positiveInteger(180),
    DATA_DIR: optionalText,
    DATABASE_URL: optionalText.pipe(
      z
        .string()
        .regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL (leave it unset for SQLite under DATA_DIR)")
        .optional(),
    ),
    HISTORY_RETENTION_DAYS: blankAsUnset(z.coerce.number().int().positive().optional()),
    SHUTDOWN_GRACE_SECONDS: nonNegativeInteger(25),
    METRICS_TOKEN: optionalText,
    LOG_LEVEL: optionalText.pipe(z.enum(["fatal", "error", "warn", "info", "debug", "trace"]).optional()),
    LOG_PROMPTS: optionalText.pipe(z.enum(["true", "false"]).optional()),
    AUTH_MODE: optionalText.pipe(z.enum(AUTH_MODES).default("none")),
    AUTH_SECRET: optionalText.pipe(z.string().min(32, "must be at least 32 characters (make one with: openssl rand -base64 32)").optional()),
    OIDC_ISSUER: optionalUrl,
    OIDC_CLIENT_ID: optionalText,
    OIDC_CLIENT_SECRET: optionalText,
    OIDC_NAME: optionalText,
    AUTH_ALLOWED_DOMAINS: optionalText,
    AUTH_ADMINS: optionalText,
    AUTH_PROXY_HEADER: optionalText.pipe(
      z
        .string()
        .regex(/^[A-Za-z0-9-]+$/, "must be a header name such as X-Forwarded-Email")
        .default("X-Forwarded-Email"),
    ),
    AUTH_TRUSTED_PROXIES: optionalText,
    SHARE_PUBLIC: optionalText.pipe(z.enum(["true", "false"]).optional()),
    LIMIT_REQUESTS_PER_MINUTE: blankAsUnset(z.coerce.number().int().positive().optional()),
    LIMIT_TOKENS_PER_DAY: blankAsUnset(z.coerce.number().int().positive().optional()),
  });

const environmentSchema = environmentBaseSchema.superRefine((env, context) => {
  if (env.LLM_PROVIDER === "gemini" && !env.GEMINI_API_KEY) {
    context.addIssue({
      code: "custom",
      path: ["GEMINI_API_KEY"],
      message: "LLM_PROVIDER=gemini needs GEMINI_API_KEY (create one at https://aistudio.google.com/apikey)",
    });
  }
  if (env.LLM_PROVIDER === "openai" && !env.OPENAI_BASE_URL) {
    context.addIssue({
      code: "custom",
      path: ["OPENAI_BASE_URL"],
      message: "LLM_PROVIDER=openai needs OPENAI_BASE_URL (e.g. http://localhost:11434/v1 for Ollama)",
    });
  }
  if (env.OPENAI_BASE_URL && !env.OPENAI_MODEL) {
    context.addIssue({
      code: "custom",
      path: ["OPENAI_MODEL"],
      message: "OPENAI_BASE_URL needs OPENAI_MODEL, a vision model the server has (e.g. qwen2.5vl:7b)",
    });
  }
  // Each sharp job holds one of libuv's threads until it ends. The pool is the process's, shared
  // by upload writes and the analysis thread's own sharp work: preparation must never take it all.
  if (env.PREPARE_CONCURRENCY > env.UV_THREADPOOL_SIZE - 2) {
    context.addIssue({
      code: "custom",
      path: ["PREPARE_CONCURRENCY"],
      message: `must leave two of libuv's ${env.UV_THREADPOOL_SIZE} threads (UV_THREADPOOL_SIZE) free for file I/O and the offline analyzer: at most ${Math.max(0, env.UV_THREADPOOL_SIZE - 2)}`,
    });
  }
  checkAuthSettings(env, context);
  const { invalid } = allowedHostsFrom(env.PUBLIC_URL, env.ALLOWED_HOSTS);
  if (invalid.length > 0) {
    context.addIssue({
      code: "custom",
      path: ["ALLOWED_HOSTS"],
      message: `not host names: ${invalid.join(", ")} (list names such as diagrams.example.com, comma-separated, or * for any)`,
    });
  }
});

type ParsedEnvironment = z.output<typeof environmentBaseSchema>;

/** What each sign-in mode needs; every missing variable is named in the one start-up message. */
function checkAuthSettings(env: ParsedEnvironment, context: z.RefinementCtx) {
  const need = (variable: keyof ParsedEnvironment, why: string) => {
    if (!env[variable]) context.addIssue({ code: "custom", path: [variable], message: why });
  };
  if (env.AUTH_MODE === "oidc" || env.AUTH_MODE === "password") {
    need("AUTH_SECRET", `AUTH_MODE=${env.AUTH_MODE} needs AUTH_SECRET, which signs sessions (make one with: openssl rand -base64 32)`);
    need("PUBLIC_URL", `AUTH_MODE=${env.AUTH_MODE} needs PUBLIC_URL, the address people open (sign-in links and cookies are made for it)`);
  }
  if (env.AUTH_MODE === "oidc") {
    need("OIDC_ISSUER", "AUTH_MODE=oidc needs OIDC_ISSUER, the identity provider's issuer URL");
    need("OIDC_CLIENT_ID", "AUTH_MODE=oidc needs OIDC_CLIENT_ID, this app's client id at the identity provider");
    need("OIDC_CLIENT_SECRET", "AUTH_MODE=oidc needs OIDC_CLIENT_SECRET, this app's client secret at the identity provider");
  }
  const badDomains = listOf(env.AUTH_ALLOWED_DOMAINS).filter((domain) => !/^[a-z0-9.-]+\.[a-z]{2,}$/i.test(domain));
  if (badDomains.length > 0) {
    context.addIssue({ code: "custom", path: ["AUTH_ALLOWED_DOMAINS"], message: `not e-mail domains: ${badDomains.join(", ")} (list them as example.com, comma-separated)` });
  }
  const badAdmins = listOf(env.AUTH_ADMINS).filter((email) => !/^[^@\s]+@[^@\s]+$/.test(email));
  if (badAdmins.length > 0) {
    context.addIssue({ code: "custom", path: ["AUTH_ADMINS"], message: `not e-mail addresses: ${badAdmins.join(", ")}` });
  }
  const { invalid } = parseTrustedProxies(env.AUTH_TRUSTED_PROXIES);
  if (invalid.length > 0) {
    context.addIssue({ code: "custom", path: ["AUTH_TRUSTED_PROXIES"], message: `not addresses or CIDR ranges: ${invalid.join(", ")}` });
  }
}

/** A comma-separated setting as its trimmed, lower-cased, non-empty entries. */
function listOf(value: string | undefined): string[] {
  return (value ?? "")
    .split(",")
    .map((entry) => entry.trim().toLowerCase())
    .filter(Boolean);
}

export interface GeminiSettings {
  apiKey: string;
  model: string;
  baseUrl: string | undefined;
  /** The depth used when a request names none; the model's own default when unset. */
  thinkingLevel: ThinkingDepth | undefined;
  /**
   * How many tokens Gemini spends on the image (its `mediaResolution`): fewer for a cheaper,
   * coarser read. The model's own default when unset.
   */
  mediaResolution: "low" | "medium" | "high" | undefined;
}

export interface OpenAISettings {
  baseUrl: string;
  /** Local servers (Ollama, vLLM, LM Studio) usually need none. */
  apiKey: string | undefined;
  model: string;
}

export interface AppConfig {
  /** The provider that answers when a request does not name one. */
  provider: ProviderId;
  gemini: GeminiSettings | undefined;
  openai: OpenAISettings | undefined;
  model: {
    /** Retries of transient upstream failures (5xx, 408) before the first token. */
    maxRetries: number;
    firstTokenTimeoutMs: number;
    /** Longest silence allowed between two pieces of an answer that has started. */
    idleTimeoutMs: number;
  };
  upload: {
    maxBytes: number;
    directory: string;
    /** Longest wait for the next piece of an upload's body. */
    idleTimeoutMs: number;
    /** Longest time a whole upload may take; below Node's own request timeout. */
    timeoutMs: number;
  };
  image: {
    maxPixels: number;
    maxEdge: number;
    /** Longest a decode, resize or encode may take before the image is refused. */
    timeoutSeconds: number;
    /** Most scans a progressive JPEG may have. */
    maxJpegScans: number;
  };
  /** Prepared images kept for follow-up questions. */
  imageCache: {
    ttlMs: number;
    maxBytes: number;
  };
  /** How much work the server takes on at once; beyond it, requests get 503 with Retry-After. */
  admission: {
    /** Images decoded and resized at once (each holds a libuv thread while sharp works). */
    prepareConcurrency: number;
    /** New-image requests that may wait (or still be uploading) beyond the running ones. */
    prepareQueue: number;
    /** Offline analyses that may wait beyond the running one. */
    offlineQueue: number;
  };
  /** What the offline analyzer spends on one image before it answers with what it has read. */
  offline: {
    maxTextLines: number;
    ocrBudgetMs: number;
    /** Finished analyses kept for follow-ups, in (estimated) bytes. */
    cacheBytes: number;
  };
  /** The Host (and Origin) names requests may carry: the guard against DNS rebinding. */
  allowedHosts: AllowedHosts;
  /** How long answers in progress may run on after SIGTERM before they are ended. */
  shutdownGraceMs: number;
  /** When set, /api/metrics answers only requests that send it as a Bearer token. */
  metricsToken: string | undefined;
  /** Whether each request's log line carries its task's text (off: tasks can be confidential). */
  logPrompts: boolean;
  /** Where conversations are kept. */
  history: {
    /** PostgreSQL when set; otherwise SQLite in `dataDirectory`. */
    databaseUrl: string | undefined;
    dataDirectory: string;
    /** Conversations untouched this long are deleted; undefined keeps them. */
    retentionDays: number | undefined;
    /** The address share links start with; the request's own origin when unset. */
    publicUrl: string | undefined;
  };
  /** Who may use the server, and how much (docs/deploy.md, "Hosting for a team"). */
  auth: AuthSettings;
}

export interface AuthSettings {
  mode: AuthMode;
  /** Signs session cookies; set in the oidc and password modes. */
  secret: string | undefined;
  /** The address people open: sign-in redirects and cookies are made for it. */
  publicUrl: string | undefined;
  oidc: { issuer: string; clientId: string; clientSecret: string; name: string } | undefined;
  /** Lower-case e-mail domains allowed to sign in; empty allows any. */
  allowedDomains: string[];
  /** Lower-case e-mail addresses that are admins in the oidc and proxy modes. */
  admins: string[];
  /** The header a trusted reverse proxy passes the signed-in e-mail in (lower case). */
  proxyHeader: string;
  /** The raw AUTH_TRUSTED_PROXIES list (lib/auth/trusted-proxies.ts parses it). */
  trustedProxies: string | undefined;
  /** Whether a person sharing a conversation may make its link public (open without signing in). */
  sharePublic: boolean;
  limits: { requestsPerMinute: number | undefined; tokensPerDay: number | undefined };
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Turns an environment into settings, or explains in one message every variable that is wrong. */
export function parseConfig(environment: Record<string, string | undefined>): AppConfig {
  const result = environmentSchema.safeParse(environment);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `  ${issue.path.join(".")}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n${problems.join("\n")}`);
  }
  const env = result.data;
  const gemini = env.GEMINI_API_KEY
    ? {
        apiKey: env.GEMINI_API_KEY,
        model: env.GEMINI_MODEL,
        baseUrl: env.GEMINI_BASE_URL,
        thinkingLevel: env.GEMINI_THINKING_LEVEL,
        mediaResolution: env.GEMINI_MEDIA_RESOLUTION,
      }
    : undefined;
  const openai =
    env.OPENAI_BASE_URL && env.OPENAI_MODEL
      ? { baseUrl: env.OPENAI_BASE_URL, apiKey: env.OPENAI_API_KEY, model: env.OPENAI_MODEL }
      : undefined;
  return {
    provider: env.LLM_PROVIDER ?? (gemini ? "gemini" : openai ? "openai" : "offline"),
    gemini,
    openai,
    model: {
      maxRetries: env.MODEL_MAX_RETRIES,
      firstTokenTimeoutMs: env.MODEL_FIRST_TOKEN_TIMEOUT_SECONDS * 1000,
      idleTimeoutMs: env.MODEL_IDLE_TIMEOUT_SECONDS * 1000,
    },
    upload: {
      maxBytes: env.MAX_UPLOAD_MB * 1024 * 1024,
      directory: env.UPLOAD_DIR ?? DEFAULT_UPLOAD_DIRECTORY,
      idleTimeoutMs: env.UPLOAD_IDLE_TIMEOUT_SECONDS * 1000,
      timeoutMs: env.UPLOAD_TIMEOUT_SECONDS * 1000,
    },
    image: {
      maxPixels: env.MAX_IMAGE_PIXELS,
      maxEdge: env.MAX_IMAGE_EDGE,
      timeoutSeconds: env.IMAGE_TIMEOUT_SECONDS,
      maxJpegScans: env.MAX_JPEG_SCANS,
    },
    imageCache: { ttlMs: env.IMAGE_CACHE_MINUTES * 60_000, maxBytes: env.IMAGE_CACHE_MB * 1024 * 1024 },
    admission: { prepareConcurrency: env.PREPARE_CONCURRENCY, prepareQueue: env.PREPARE_QUEUE, offlineQueue: env.OFFLINE_QUEUE },
    offline: {
      maxTextLines: env.OCR_MAX_TEXT_LINES,
      ocrBudgetMs: env.OCR_TIME_BUDGET_SECONDS * 1000,
      cacheBytes: env.ANALYSIS_CACHE_MB * 1024 * 1024,
    },
    allowedHosts: allowedHosts(env.PUBLIC_URL, env.ALLOWED_HOSTS),
    shutdownGraceMs: env.SHUTDOWN_GRACE_SECONDS * 1000,
    metricsToken: env.METRICS_TOKEN,
    logPrompts: env.LOG_PROMPTS === "true",
    history: {
      databaseUrl: env.DATABASE_URL,
      // Resolved against the working directory at run time; not a file the build should trace.
      dataDirectory: path.resolve(/*turbopackIgnore: true*/ env.DATA_DIR ?? "data"),
      retentionDays: env.HISTORY_RETENTION_DAYS,
      publicUrl: env.PUBLIC_URL,
    },
    auth: {
      mode: env.AUTH_MODE,
      secret: env.AUTH_SECRET,
      publicUrl: env.PUBLIC_URL,
      oidc:
        env.OIDC_ISSUER && env.OIDC_CLIENT_ID && env.OIDC_CLIENT_SECRET
          ? { issuer: env.OIDC_ISSUER, clientId: env.OIDC_CLIENT_ID, clientSecret: env.OIDC_CLIENT_SECRET, name: env.OIDC_NAME ?? "your organisation's account" }
          : undefined,
      allowedDomains: listOf(env.AUTH_ALLOWED_DOMAINS),
      admins: listOf(env.AUTH_ADMINS),
      proxyHeader: env.AUTH_PROXY_HEADER.toLowerCase(),
      trustedProxies: env.AUTH_TRUSTED_PROXIES,
      sharePublic: env.SHARE_PUBLIC === "true",
      limits: { requestsPerMinute: env.LIMIT_REQUESTS_PER_MINUTE, tokensPerDay: env.LIMIT_TOKENS_PER_DAY },
    },
  };
}

function allowedHosts(publicUrl: string | undefined, listed: string | undefined): AllowedHosts {
  const { anyHost, names } = allowedHostsFrom(publicUrl, listed);
  return { anyHost, names };
}

let cached: AppConfig | undefined;

/** The process's configuration, parsed on first use (instrumentation.ts makes that start-up). */
export function getConfig(): AppConfig {
  cached ??= parseConfig(process.env);
  return cached;
}

/** Called once as the server starts: a wrong setting stops it with a message naming the variable. */
export function checkConfigAtStartup(): void {
  try {
    getConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
}
