import { describe, expect, it } from "vitest";
import {
  connectionLostError,
  contentBlockedError,
  displayEndpoint,
  firstTokenTimeoutError,
  idleTimeoutError,
  isNetworkFailure,
  reportedError,
  unreachableError,
  upstreamHttpError,
  type UpstreamFailure,
} from "@/lib/providers/provider-errors";

const BASE: UpstreamFailure = {
  provider: "the model server",
  status: 500,
  model: "llava-test",
  endpoint: "http://10.0.0.5:8000/v1",
};

function mapped(overrides: Partial<UpstreamFailure>) {
  return upstreamHttpError({ ...BASE, ...overrides });
}

describe("upstreamHttpError", () => {
  it.each([401, 403])("maps %i to provider_auth 502, capitalising the provider's name", (status) => {
    const error = mapped({ status });
    expect(error).toMatchObject({ code: "provider_auth", status: 502 });
    expect(error.message.startsWith("The model server rejected the API key")).toBe(true);
  });

  it("maps bad credentials reported under another status to provider_auth", () => {
    expect(mapped({ status: 400, badCredentials: true })).toMatchObject({ code: "provider_auth", status: 502 });
  });

  it("maps 404 to model_not_found naming the model and the endpoint", () => {
    const error = mapped({ status: 404 });
    expect(error).toMatchObject({ code: "model_not_found", status: 502 });
    expect(error.message).toContain("llava-test");
    expect(error.message).toContain("http://10.0.0.5:8000/v1");
  });

  it("maps 429 to provider_quota 503 with the wait rounded up", () => {
    const error = mapped({ status: 429, retryAfterSeconds: 12.2 });
    expect(error).toMatchObject({ code: "provider_quota", status: 503, retryAfterSeconds: 12.2 });
    expect(error.message).toContain("in 13 s");
    expect(error.toBody().error.retryAfterSeconds).toBe(12.2);
  });

  it("maps 429 without a retry time to a vaguer wait and no retryAfterSeconds", () => {
    const error = mapped({ status: 429 });
    expect(error.code).toBe("provider_quota");
    expect(error.retryAfterSeconds).toBeUndefined();
    expect(error.message).toContain("in a little while");
    expect(error.toBody().error).not.toHaveProperty("retryAfterSeconds");
  });

  it.each([408, 504])("maps %i to provider_timeout 504", (status) => {
    expect(mapped({ status })).toMatchObject({ code: "provider_timeout", status: 504 });
  });

  it.each([500, 502, 503, 529])("maps %i to provider_unavailable 503 with the status in the message", (status) => {
    const error = mapped({ status });
    expect(error).toMatchObject({ code: "provider_unavailable", status: 503 });
    expect(error.message).toContain(`HTTP ${status}`);
  });

  it.each([400, 409, 413, 422])("maps %i to provider_rejected 502", (status) => {
    expect(mapped({ status })).toMatchObject({ code: "provider_rejected", status: 502 });
  });

  it("quotes the server's explanation on one line, cut to 300 characters", () => {
    const detail = `Image   too\nlarge:\n${"x".repeat(400)}`;
    const error = mapped({ status: 400, detail });
    const quoted = /It said: “(.*)”$/.exec(error.message)?.[1];
    expect(quoted).toBeDefined();
    expect(quoted!.startsWith("Image too large: xxx")).toBe(true);
    expect(quoted).not.toContain("\n");
    expect(quoted).toHaveLength(300);
    expect(quoted!.endsWith("…")).toBe(true);
  });

  it("keeps the original failure as the cause", () => {
    const cause = new Error("HTTP 500");
    expect(upstreamHttpError({ ...BASE, status: 500 }, cause).cause).toBe(cause);
  });
});

describe("other provider errors", () => {
  it("unreachableError names the provider and the address, keeping the cause", () => {
    const cause = new Error("connect ECONNREFUSED");
    const error = unreachableError("Gemini", "http://127.0.0.1:1", cause);
    expect(error).toMatchObject({ code: "provider_unreachable", status: 502 });
    expect(error.message).toContain("Cannot reach Gemini at http://127.0.0.1:1");
    expect(error.cause).toBe(cause);
  });

  it("firstTokenTimeoutError says how long was waited", () => {
    const error = firstTokenTimeoutError("qwen2.5vl:7b · gpu:8000", 120);
    expect(error).toMatchObject({ code: "provider_timeout", status: 504 });
    expect(error.message).toContain("The model (qwen2.5vl:7b · gpu:8000) did not start answering within 120 s");
  });

  it("contentBlockedError is a 422 naming the reason", () => {
    const error = contentBlockedError("Gemini", "RECITATION");
    expect(error).toMatchObject({ code: "content_blocked", status: 422 });
    expect(error.message).toContain("RECITATION");
  });
});

describe("isNetworkFailure", () => {
  const withCode = (code: string) => Object.assign(new Error(code), { code });

  it.each(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ECONNRESET", "ETIMEDOUT", "EHOSTUNREACH", "UND_ERR_SOCKET", "UND_ERR_CONNECT_TIMEOUT"])(
    "recognises %s",
    (code) => {
      expect(isNetworkFailure(withCode(code))).toBe(true);
    },
  );

  it("recognises fetch's own failure and a code nested in its causes", () => {
    expect(isNetworkFailure(new TypeError("fetch failed"))).toBe(true);
    const nested = new Error("outer", { cause: new Error("middle", { cause: withCode("ECONNREFUSED") }) });
    expect(isNetworkFailure(nested)).toBe(true);
  });

  it("does not mistake other errors for network failures", () => {
    expect(isNetworkFailure(new Error("Unexpected token < in JSON"))).toBe(false);
    expect(isNetworkFailure(new TypeError("Cannot read properties of undefined"))).toBe(false);
    expect(isNetworkFailure(withCode("ENOENT"))).toBe(false);
    expect(isNetworkFailure(undefined)).toBe(false);
    expect(isNetworkFailure("ECONNREFUSED")).toBe(false);
  });

  it("stops following a cycle of causes", () => {
    const looping: Error & { cause?: unknown } = new Error("loop");
    looping.cause = looping;
    expect(isNetworkFailure(looping)).toBe(false);
  });
});

describe("displayEndpoint", () => {
  it.each([
    ["https://generativelanguage.googleapis.com", "https://generativelanguage.googleapis.com"],
    ["https://generativelanguage.googleapis.com/", "https://generativelanguage.googleapis.com"],
    ["http://10.0.0.5:8000/v1", "http://10.0.0.5:8000/v1"],
    ["http://10.0.0.5:8000/v1/", "http://10.0.0.5:8000/v1"],
    ["https://gateway.example.com/openai/v1?api-version=2024-06-01&sig=secret", "https://gateway.example.com/openai/v1"],
    ["https://gateway.example.com/v1#fragment", "https://gateway.example.com/v1"],
    ["https://user:secret@gateway.example.com/v1", "https://gateway.example.com/v1"],
    ["HTTP://Gateway.Example.com:443/v1", "http://gateway.example.com:443/v1"],
  ])("shows %s as %s", (url, shown) => {
    expect(displayEndpoint(url)).toBe(shown);
  });
});

describe("errors without an HTTP status", () => {
  it("reportedError is provider_error 502 quoting the server's words on one line, keeping the cause", () => {
    const cause = new Error("APIError");
    const error = reportedError("the model server", "CUDA out of memory\n  while decoding", cause);
    expect(error).toMatchObject({ code: "provider_error", status: 502 });
    expect(error.message).toBe("The model server reported an error: “CUDA out of memory while decoding”");
    expect(error.cause).toBe(cause);
  });

  it("reportedError cuts a long explanation to 300 characters", () => {
    const error = reportedError("Gemini", "y".repeat(1000), undefined);
    const quoted = /“(.*)”$/.exec(error.message)?.[1];
    expect(quoted).toHaveLength(300);
    expect(quoted!.endsWith("…")).toBe(true);
  });

  it("idleTimeoutError says how long the model was silent and that the text so far stays", () => {
    const error = idleTimeoutError("Gemini · gemini-x", 60);
    expect(error).toMatchObject({ code: "provider_timeout", status: 504 });
    expect(error.message).toBe(
      "The model (Gemini · gemini-x) stopped answering for 60 s. The text so far is kept; try again for the rest.",
    );
  });

  it("connectionLostError is provider_error 502 saying the text so far stays", () => {
    const cause = new Error("socket hang up");
    const error = connectionLostError("Gemini", cause);
    expect(error).toMatchObject({ code: "provider_error", status: 502 });
    expect(error.message).toContain("broke off in the middle of the answer");
    expect(error.cause).toBe(cause);
  });
});
