import { describe, expect, it } from "vitest";
import { AppError } from "@/lib/shared/errors";
import { readSmallJson, readSmallText, requestOrigin } from "@/lib/upload/small-body";

const LIMITS = { maxBytes: 16, tooLarge: "Too large for a title.", malformed: "Send a title as JSON." };

function post(body: BodyInit, headers: Record<string, string> = {}): Request {
  return new Request("http://127.0.0.1/x", { method: "POST", body, headers, duplex: "half" } as RequestInit);
}

async function refusal(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

describe("readSmallText", () => {
  it("reads a body within the limit", async () => {
    expect(await readSmallText(post('{"title":"a"}'), LIMITS)).toBe('{"title":"a"}');
    expect(await readSmallText(new Request("http://127.0.0.1/x", { method: "POST" }), LIMITS)).toBe("");
  });

  it("refuses a stated length over the limit before reading", async () => {
    const error = await refusal(readSmallText(post("{}", { "content-length": "17" }), LIMITS));
    expect(error.code).toBe("invalid_request");
    expect(error.message).toBe("Too large for a title.");
  });

  it("stops reading a body that grows past the limit, and cancels the rest", async () => {
    let pulled = 0;
    let cancelled = false;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled += 1;
        controller.enqueue(new Uint8Array(10));
      },
      cancel() {
        cancelled = true;
      },
    });
    const error = await refusal(readSmallText(post(endless), LIMITS));
    expect(error.message).toBe("Too large for a title.");
    expect(cancelled).toBe(true);
    expect(pulled).toBeLessThan(5);
  });
});

describe("readSmallJson", () => {
  it("parses JSON, and says what to send when it is not", async () => {
    expect(await readSmallJson(post('{"title":"a"}'), LIMITS)).toEqual({ title: "a" });
    expect((await refusal(readSmallJson(post("title=a"), LIMITS))).message).toBe("Send a title as JSON.");
  });
});

describe("requestOrigin", () => {
  it("is the Host the person used, with https when the proxy in front says so", () => {
    expect(requestOrigin(new Request("http://0.0.0.0:3000/api", { headers: { host: "tools.example.com" } }))).toBe("http://tools.example.com");
    expect(requestOrigin(new Request("http://0.0.0.0:3000/api", { headers: { host: "tools.example.com", "x-forwarded-proto": "https, http" } }))).toBe(
      "https://tools.example.com",
    );
    expect(requestOrigin(new Request("http://127.0.0.1:3000/api", { headers: { "x-forwarded-proto": "gopher" } }))).toBe("http://127.0.0.1:3000");
  });
});
