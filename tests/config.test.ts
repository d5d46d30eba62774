import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig } from "@/lib/config";
import { DEFAULT_UPLOAD_DIRECTORY } from "@/lib/upload/upload-directory";

function configError(environment: Parameters<typeof parseConfig>[0]): ConfigError {
  try {
    parseConfig(environment);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected parseConfig to throw a ConfigError");
}

describe("parseConfig", () => {
  it("answers offline with the documented defaults when nothing is set", () => {
    const config = parseConfig({});
    expect(config).toEqual({
      provider: "offline",
      gemini: undefined,
      openai: undefined,
      model: { maxRetries: 2, firstTokenTimeoutMs: 120_000, idleTimeoutMs: 60_000 },
      upload: { maxBytes: 200 * 1024 * 1024, directory: DEFAULT_UPLOAD_DIRECTORY, idleTimeoutMs: 20_000, timeoutMs: 180_000 },
      image: { maxPixels: 100_000_000, maxEdge: 3072, timeoutSeconds: 20, maxJpegScans: 64 },
      imageCache: { ttlMs: 30 * 60_000, maxBytes: 256 * 1024 * 1024 },
      admission: { prepareConcurrency: 2, prepareQueue: 16, offlineQueue: 4 },
      offline: { maxTextLines: 400, ocrBudgetMs: 8000, cacheBytes: 32 * 1024 * 1024 },
      allowedHosts: { anyHost: false, names: ["localhost", "127.0.0.1", "[::1]", os.hostname().toLowerCase()] },
      shutdownGraceMs: 25_000,
      metricsToken: undefined,
      logPrompts: false,
      // SQLite in ./data, kept for ever.
      history: { databaseUrl: undefined, dataDirectory: path.resolve("data"), retentionDays: undefined, publicUrl: undefined },
      auth: {
        mode: "none",
        secret: undefined,
        publicUrl: undefined,
        oidc: undefined,
        allowedDomains: [],
        admins: [],
        proxyHeader: "x-forwarded-email",
        trustedProxies: undefined,
        sharePublic: false,
        limits: { requestsPerMinute: undefined, tokensPerDay: undefined },
      },
    });
  });

  it("chooses Gemini with the default model when GEMINI_API_KEY is set", () => {
    const config = parseConfig({ GEMINI_API_KEY: "key-123" });
    expect(config.provider).toBe("gemini");
    // No thinking level: the model's own default.
    expect(config.gemini).toEqual({ apiKey: "key-123", model: "gemini-3.6-flash", baseUrl: undefined, thinkingLevel: undefined, mediaResolution: undefined });
  });

  it("reads every variable that is set", () => {
    const config = parseConfig({
      GEMINI_API_KEY: " key-123 ",
      GEMINI_MODEL: "gemini-pro-test",
      GEMINI_BASE_URL: "http://127.0.0.1:9999",
      AUTH_MODE: "oidc",
      AUTH_SECRET: "0123456789abcdef0123456789abcdef",
      OIDC_ISSUER: "https://login.example.com/realms/team",
      OIDC_CLIENT_ID: "diagrams",
      OIDC_CLIENT_SECRET: "oidc-secret",
      OIDC_NAME: "Keycloak",
      AUTH_ALLOWED_DOMAINS: "Example.com, example.org",
      AUTH_ADMINS: "Alice@Example.com",
      AUTH_PROXY_HEADER: "X-Auth-Email",
      AUTH_TRUSTED_PROXIES: "10.0.0.0/8",
      SHARE_PUBLIC: "true",
      LIMIT_REQUESTS_PER_MINUTE: "10",
      LIMIT_TOKENS_PER_DAY: "200000",
      MODEL_MAX_RETRIES: "0",
      MODEL_FIRST_TOKEN_TIMEOUT_SECONDS: "5",
      MODEL_IDLE_TIMEOUT_SECONDS: "7",
      OPENAI_BASE_URL: "http://localhost:11434/v1",
      OPENAI_MODEL: "qwen2.5vl:7b",
      OPENAI_API_KEY: "sk-local",
      MAX_UPLOAD_MB: "10",
      MAX_IMAGE_PIXELS: "1000",
      MAX_IMAGE_EDGE: "512",
      UPLOAD_DIR: "/srv/uploads",
      GEMINI_THINKING_LEVEL: "low",
      GEMINI_MEDIA_RESOLUTION: "medium",
      IMAGE_CACHE_MINUTES: "5",
      IMAGE_CACHE_MB: "64",
      PREPARE_CONCURRENCY: "1",
      PREPARE_QUEUE: "3",
      OFFLINE_QUEUE: "0",
      IMAGE_TIMEOUT_SECONDS: "9",
      MAX_JPEG_SCANS: "20",
      OCR_MAX_TEXT_LINES: "50",
      OCR_TIME_BUDGET_SECONDS: "4",
      ANALYSIS_CACHE_MB: "8",
      PUBLIC_URL: "https://Diagrams.Example.com/tools",
      ALLOWED_HOSTS: "review.internal:8443, [fd00::5]",
      UPLOAD_IDLE_TIMEOUT_SECONDS: "3",
      UPLOAD_TIMEOUT_SECONDS: "40",
      DATA_DIR: "/var/lib/diagrams",
      DATABASE_URL: "postgres://diagrams:secret@db.internal:5432/diagrams",
      HISTORY_RETENTION_DAYS: "90",
      SHUTDOWN_GRACE_SECONDS: "10",
      METRICS_TOKEN: "scrape-secret",
      LOG_LEVEL: "debug",
      LOG_PROMPTS: "true",
    });
    expect(config).toEqual({
      provider: "gemini",
      gemini: { apiKey: "key-123", model: "gemini-pro-test", baseUrl: "http://127.0.0.1:9999", thinkingLevel: "low", mediaResolution: "medium" },
      openai: { baseUrl: "http://localhost:11434/v1", apiKey: "sk-local", model: "qwen2.5vl:7b" },
      model: { maxRetries: 0, firstTokenTimeoutMs: 5000, idleTimeoutMs: 7000 },
      upload: { maxBytes: 10 * 1024 * 1024, directory: "/srv/uploads", idleTimeoutMs: 3000, timeoutMs: 40_000 },
      image: { maxPixels: 1000, maxEdge: 512, timeoutSeconds: 9, maxJpegScans: 20 },
      imageCache: { ttlMs: 5 * 60_000, maxBytes: 64 * 1024 * 1024 },
      admission: { prepareConcurrency: 1, prepareQueue: 3, offlineQueue: 0 },
      offline: { maxTextLines: 50, ocrBudgetMs: 4000, cacheBytes: 8 * 1024 * 1024 },
      allowedHosts: {
        anyHost: false,
        names: ["localhost", "127.0.0.1", "[::1]", os.hostname().toLowerCase(), "diagrams.example.com", "review.internal", "[fd00::5]"],
      },
      shutdownGraceMs: 10_000,
      metricsToken: "scrape-secret",
      logPrompts: true,
      history: {
        databaseUrl: "postgres://diagrams:secret@db.internal:5432/diagrams",
        dataDirectory: "/var/lib/diagrams",
        retentionDays: 90,
        publicUrl: "https://Diagrams.Example.com/tools",
      },
      auth: {
        mode: "oidc",
        secret: "0123456789abcdef0123456789abcdef",
        publicUrl: "https://Diagrams.Example.com/tools",
        oidc: { issuer: "https://login.example.com/realms/team", clientId: "diagrams", clientSecret: "oidc-secret", name: "Keycloak" },
        allowedDomains: ["example.com", "example.org"],
        admins: ["alice@example.com"],
        proxyHeader: "x-auth-email",
        trustedProxies: "10.0.0.0/8",
        sharePublic: true,
        limits: { requestsPerMinute: 10, tokensPerDay: 200_000 },
      },
    });
  });

  it("names what each sign-in mode is missing, in one message", () => {
    expect(() => parseConfig({ AUTH_MODE: "oidc" })).toThrow(
      /AUTH_SECRET[\s\S]*PUBLIC_URL[\s\S]*OIDC_ISSUER[\s\S]*OIDC_CLIENT_ID[\s\S]*OIDC_CLIENT_SECRET/,
    );
    expect(() => parseConfig({ AUTH_MODE: "password", PUBLIC_URL: "https://d.example.com" })).toThrow(/AUTH_SECRET: AUTH_MODE=password needs AUTH_SECRET/);
    expect(() => parseConfig({ AUTH_MODE: "password", PUBLIC_URL: "https://d.example.com", AUTH_SECRET: "short" })).toThrow(/AUTH_SECRET: must be at least 32 characters/);
    expect(() => parseConfig({ AUTH_MODE: "sso" })).toThrow(/AUTH_MODE/);
    expect(parseConfig({ AUTH_MODE: "proxy" }).auth.mode).toBe("proxy");
  });

  it("rejects sign-in lists that are not what they claim, naming each", () => {
    expect(() => parseConfig({ AUTH_ALLOWED_DOMAINS: "example.com, not a domain" })).toThrow(/AUTH_ALLOWED_DOMAINS: not e-mail domains: not a domain/);
    expect(() => parseConfig({ AUTH_ADMINS: "alice" })).toThrow(/AUTH_ADMINS: not e-mail addresses: alice/);
    expect(() => parseConfig({ AUTH_TRUSTED_PROXIES: "10.0.0.0/33" })).toThrow(/AUTH_TRUSTED_PROXIES/);
    expect(() => parseConfig({ AUTH_PROXY_HEADER: "X Email" })).toThrow(/AUTH_PROXY_HEADER/);
    expect(() => parseConfig({ LIMIT_TOKENS_PER_DAY: "0" })).toThrow(/LIMIT_TOKENS_PER_DAY/);
  });

  it("lets LLM_PROVIDER=offline win over a configured key", () => {
    const config = parseConfig({ LLM_PROVIDER: "offline", GEMINI_API_KEY: "key-123" });
    expect(config.provider).toBe("offline");
  });

  it("treats empty and blank values as unset, as `KEY=` lines in .env files are", () => {
    const config = parseConfig({
      LLM_PROVIDER: "",
      GEMINI_API_KEY: "   ",
      GEMINI_MODEL: "",
      GEMINI_BASE_URL: "",
      MODEL_MAX_RETRIES: "",
      MODEL_FIRST_TOKEN_TIMEOUT_SECONDS: "",
      MODEL_IDLE_TIMEOUT_SECONDS: " ",
      OPENAI_BASE_URL: "",
      MAX_UPLOAD_MB: "",
      MAX_IMAGE_PIXELS: " ",
      MAX_IMAGE_EDGE: "",
      UPLOAD_DIR: "",
      GEMINI_THINKING_LEVEL: " ",
      IMAGE_CACHE_MINUTES: "",
      IMAGE_CACHE_MB: " ",
    });
    expect(config).toEqual(parseConfig({}));
  });

  it.each([
    ["DATABASE_URL", "mysql://db.internal/diagrams"],
    ["DATABASE_URL", "db.internal:5432"],
    ["HISTORY_RETENTION_DAYS", "0"],
    ["HISTORY_RETENTION_DAYS", "a week"],
    ["MAX_UPLOAD_MB", "lots"],
    ["MAX_UPLOAD_MB", "0"],
    ["MAX_UPLOAD_MB", "-5"],
    ["MAX_IMAGE_PIXELS", "1.5"],
    ["MAX_IMAGE_EDGE", "big"],
    ["MODEL_MAX_RETRIES", "-1"],
    ["MODEL_FIRST_TOKEN_TIMEOUT_SECONDS", "0"],
    ["MODEL_IDLE_TIMEOUT_SECONDS", "0"],
    ["MODEL_IDLE_TIMEOUT_SECONDS", "2.5"],
    ["MODEL_IDLE_TIMEOUT_SECONDS", "a minute"],
    ["IMAGE_CACHE_MINUTES", "0"],
    ["IMAGE_CACHE_MINUTES", "-1"],
    ["IMAGE_CACHE_MINUTES", "half an hour"],
    ["IMAGE_CACHE_MB", "-1"],
    ["IMAGE_CACHE_MB", "1.5"],
    ["IMAGE_CACHE_MB", "lots"],
  ])("rejects %s=%s with a message naming the variable", (name, value) => {
    const error = configError({ [name]: value });
    expect(error.message).toContain(name);
  });

  it("names every wrong variable in one message", () => {
    const error = configError({ MAX_UPLOAD_MB: "x", MAX_IMAGE_EDGE: "y" });
    expect(error.message).toContain("MAX_UPLOAD_MB");
    expect(error.message).toContain("MAX_IMAGE_EDGE");
  });

  it("rejects LLM_PROVIDER=gemini without a key, naming GEMINI_API_KEY", () => {
    const error = configError({ LLM_PROVIDER: "gemini" });
    expect(error.message).toContain("GEMINI_API_KEY");
  });

  it.each(["minimal", "low", "medium", "high"])("reads GEMINI_THINKING_LEVEL=%s as the default depth", (level) => {
    expect(parseConfig({ GEMINI_API_KEY: "key", GEMINI_THINKING_LEVEL: level }).gemini?.thinkingLevel).toBe(level);
  });

  it("trims GEMINI_THINKING_LEVEL as it does every other value", () => {
    expect(parseConfig({ GEMINI_API_KEY: "key", GEMINI_THINKING_LEVEL: " medium " }).gemini?.thinkingLevel).toBe("medium");
  });

  it.each(["HIGH", "max", "1024", "dynamic"])("rejects GEMINI_THINKING_LEVEL=%s, naming the variable and the levels", (level) => {
    const error = configError({ GEMINI_API_KEY: "key", GEMINI_THINKING_LEVEL: level });
    expect(error.message).toContain("GEMINI_THINKING_LEVEL");
    expect(error.message).toMatch(/minimal.*low.*medium.*high/);
  });

  // 0 is how a team turns follow-ups' image reuse off (every follow-up uploads the image again).
  it("refuses a PREPARE_CONCURRENCY that would let sharp take all of libuv's threads", () => {
    expect(configError({ PREPARE_CONCURRENCY: "3" }).message).toMatch(/PREPARE_CONCURRENCY: must leave two of libuv's 4 threads.*at most 2/);
    expect(parseConfig({ PREPARE_CONCURRENCY: "6", UV_THREADPOOL_SIZE: "8" }).admission.prepareConcurrency).toBe(6);
  });

  it("accepts IMAGE_CACHE_MB=0, which keeps no images", () => {
    expect(parseConfig({ IMAGE_CACHE_MB: "0" }).imageCache).toEqual({ ttlMs: 30 * 60_000, maxBytes: 0 });
  });

  it("rejects an unknown provider", () => {
    expect(configError({ LLM_PROVIDER: "openai-ish" }).message).toContain("LLM_PROVIDER");
  });

  it.each(["not a url", "ftp://example.com/v1", "127.0.0.1:8080"])("rejects GEMINI_BASE_URL=%s", (value) => {
    const error = configError({ GEMINI_API_KEY: "key", GEMINI_BASE_URL: value });
    expect(error.message).toContain("GEMINI_BASE_URL");
  });

  it("accepts an https GEMINI_BASE_URL", () => {
    const config = parseConfig({ GEMINI_API_KEY: "key", GEMINI_BASE_URL: "https://proxy.example.com" });
    expect(config.gemini?.baseUrl).toBe("https://proxy.example.com");
  });

  describe("base URLs with credentials", () => {
    const WITH_CREDENTIALS = [
      "https://alice:s3cret-pass@proxy.example.com",
      "https://alice@proxy.example.com/v1",
      "http://:s3cret-pass@127.0.0.1:8080/v1",
    ];

    it.each(WITH_CREDENTIALS)("rejects GEMINI_BASE_URL=%s, naming the variable but not the password", (url) => {
      const error = configError({ GEMINI_API_KEY: "key", GEMINI_BASE_URL: url });
      expect(error.message).toContain("GEMINI_BASE_URL");
      expect(error.message).toContain("must not contain a user name or password");
      expect(error.message).not.toContain("s3cret-pass");
    });

    it.each(WITH_CREDENTIALS)("rejects OPENAI_BASE_URL=%s, naming the variable but not the password", (url) => {
      const error = configError({ OPENAI_BASE_URL: url, OPENAI_MODEL: "qwen2.5vl:7b" });
      expect(error.message).toContain("OPENAI_BASE_URL");
      expect(error.message).toContain("put keys in the *_API_KEY variable");
      expect(error.message).not.toContain("s3cret-pass");
    });

    it("accepts a base URL with a path and a port", () => {
      const config = parseConfig({ OPENAI_BASE_URL: "https://gateway.example.com:8443/openai/v1", OPENAI_MODEL: "m" });
      expect(config.openai?.baseUrl).toBe("https://gateway.example.com:8443/openai/v1");
    });
  });

  // Both SDKs append the API path to the base URL as a string: with a query in it, the openai SDK
  // posts to `/v1?api-version=1%2Fchat%2Fcompletions` and @google/genai to
  // `/?key=…%2Fv1beta%2Fmodels%2F…`, so every model call fails with 404. Such a setting should stop
  // the server with a message, like credentials in the URL do.
  it.each([
    ["GEMINI_BASE_URL", { GEMINI_API_KEY: "key", GEMINI_BASE_URL: "https://proxy.example.com/?key=abc" }],
    ["OPENAI_BASE_URL", { OPENAI_BASE_URL: "https://gateway.example.com/openai/v1?api-version=2024-06-01", OPENAI_MODEL: "m" }],
  ])("rejects a query string in %s, which the SDK would garble", (name, environment) => {
    expect(configError(environment).message).toContain(name);
  });

  it.each(["not a url", "127.0.0.1:8080", "http://"])("rejects OPENAI_BASE_URL=%s with a ConfigError naming the variable", (value) => {
    const error = configError({ OPENAI_BASE_URL: value, OPENAI_MODEL: "m" });
    expect(error.message).toContain("OPENAI_BASE_URL");
  });

  it("allows any host with ALLOWED_HOSTS=*, for servers whose names cannot be listed", () => {
    expect(parseConfig({ ALLOWED_HOSTS: "*" }).allowedHosts.anyHost).toBe(true);
  });

  it.each(["exa mple.com", "host/path", "user@host"])("rejects ALLOWED_HOSTS entry %s, naming the variable", (entry) => {
    const error = configError({ ALLOWED_HOSTS: `localhost,${entry}` });
    expect(error.message).toContain("ALLOWED_HOSTS");
    expect(error.message).toContain(entry);
  });

  it("rejects a PUBLIC_URL that is not an http(s) URL", () => {
    expect(configError({ PUBLIC_URL: "diagrams.example.com" }).message).toContain("PUBLIC_URL");
  });
});
