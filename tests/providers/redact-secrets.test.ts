import { describe, expect, it } from "vitest";
import { parseConfig } from "@/lib/config";
import { AppError } from "@/lib/shared/errors";
import { configuredSecrets, describeForLog, redactAppError, redactSecrets, REDACTED } from "@/lib/providers/redact-secrets";

/** Fake keys only: shaped like the real ones so the patterns have something to find. */
const GOOGLE_KEY = "AIzaSyFAKE0000000000000000000000000000";
const OPENAI_KEY = "sk-proj-FAKEfake0123456789abcdef";

describe("redactSecrets", () => {
  it.each([
    ["a configured key, verbatim, wherever it appears", "echo: my-gateway-key-42 and again my-gateway-key-42", ["my-gateway-key-42"], "my-gateway-key-42"],
    ["a Bearer token", "Authorization failed for Bearer abc.DEF_123-xyz", [], "abc.DEF_123-xyz"],
    ["an Authorization header echo", "headers: { authorization: 'Basic dXNlcjpwYXNz' }", [], "dXNlcjpwYXNz"],
    ["a JSON-echoed x-goog-api-key header", `{"x-goog-api-key":"plainvalue123"}`, [], "plainvalue123"],
    ["a key= query value", "GET https://host/v1beta/models/x?alt=sse&key=plainvalue123 failed", [], "plainvalue123"],
    ["an api_key= query value", "GET /v1/chat?api_key=plainvalue123", [], "plainvalue123"],
    ["a Google API key", `API key ${GOOGLE_KEY} not valid`, [], GOOGLE_KEY],
    ["an OpenAI-style secret key", `Incorrect API key provided: ${OPENAI_KEY}.`, [], OPENAI_KEY],
  ])("removes %s", (_name, text, secrets, secret) => {
    const redacted = redactSecrets(text, secrets);
    expect(redacted).not.toContain(secret);
    expect(redacted).toContain(REDACTED);
  });

  it("leaves ordinary text alone, header names and messages included", () => {
    const text = "The model “gemini-3” is not available. Check the API key in the server's configuration (HTTP 404).";
    expect(redactSecrets(text, ["short"])).toBe(text);
    expect(redactSecrets("Authorization: Bearer abcd1234", [])).toBe(`Authorization: ${REDACTED}`);
  });

  it("does not look for keys too short to be secrets, which would garble the message", () => {
    expect(redactSecrets("a b c", ["a"])).toBe("a b c");
  });
});

describe("configuredSecrets", () => {
  it("lists the keys of the configured providers", () => {
    const config = parseConfig({ GEMINI_API_KEY: "gem-key-1", OPENAI_BASE_URL: "http://x:1/v1", OPENAI_MODEL: "m", OPENAI_API_KEY: "oa-key-2" });
    expect(configuredSecrets(config)).toEqual(["gem-key-1", "oa-key-2"]);
  });
});

describe("redactAppError", () => {
  it("keeps code, status, retry time and cause; only the message changes", () => {
    const cause = new Error("raw");
    const error = new AppError("provider_quota", `over quota for key=${GOOGLE_KEY}`, { retryAfterSeconds: 12, cause });
    const redacted = redactAppError(error, []);
    expect(redacted).toMatchObject({ code: "provider_quota", status: 503, retryAfterSeconds: 12, cause });
    expect(redacted.message).toBe(`over quota for key=${REDACTED}`);
  });

  it("returns the same error when there is nothing to redact", () => {
    const error = new AppError("provider_error", "nothing secret");
    expect(redactAppError(error, ["some-secret"])).toBe(error);
  });
});

describe("describeForLog", () => {
  it("renders the whole cause chain with its fields, every secret redacted", () => {
    const inner = Object.assign(new Error(`upstream said: Authorization: Bearer ${OPENAI_KEY}`), {
      headers: { "x-echo": "configured-key-999" },
    });
    const outer = new Error("request failed", { cause: inner });
    const text = describeForLog(outer, ["configured-key-999"]);
    expect(text).toContain("request failed");
    expect(text).toContain("upstream said");
    expect(text).not.toContain(OPENAI_KEY);
    expect(text).not.toContain("configured-key-999");
  });

  it("is empty for no cause", () => {
    expect(describeForLog(undefined, [])).toBe("");
  });
});
