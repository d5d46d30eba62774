import { describe, expect, it, vi } from "vitest";
import { AppError, ERROR_STATUS, errorResponse, toAppError } from "@/lib/shared/errors";

describe("AppError", () => {
  it("serialises to the API's error body", () => {
    expect(new AppError("missing_prompt", "Type a task.").toBody()).toEqual({
      error: { code: "missing_prompt", message: "Type a task." },
    });
    expect(new AppError("provider_quota", "Wait.", { retryAfterSeconds: 30 }).toBody()).toEqual({
      error: { code: "provider_quota", message: "Wait.", retryAfterSeconds: 30 },
    });
  });
});

describe("ERROR_STATUS", () => {
  it("gives every error its status from its code alone", () => {
    expect(new AppError("image_expired", "Send it again.").status).toBe(410);
    expect(new AppError("provider_quota", "Wait.", { retryAfterSeconds: 5 }).status).toBe(503);
    for (const [code, status] of Object.entries(ERROR_STATUS)) {
      expect(new AppError(code as keyof typeof ERROR_STATUS, "Any.").status).toBe(status);
    }
  });

  it("keeps a cause for the log without sending it", () => {
    const cause = new Error("socket hang up");
    const error = new AppError("provider_unreachable", "Cannot reach it.", { cause });
    expect(error.cause).toBe(cause);
    expect(JSON.stringify(error.toBody())).not.toContain("socket");
  });
});

describe("toAppError", () => {
  it("passes an AppError through unchanged", () => {
    const error = new AppError("invalid_image", "Damaged.");
    expect(toAppError(error)).toBe(error);
  });

  it("turns anything else into a generic 500 that reveals nothing, keeping the cause for logs", () => {
    const cause = new Error("ENOENT: /var/secret/path");
    const error = toAppError(cause);
    expect(error).toMatchObject({ code: "internal_error", status: 500 });
    expect(error.message).not.toContain("secret");
    expect(error.cause).toBe(cause);
    expect(toAppError("a string").code).toBe("internal_error");
  });
});

describe("errorResponse", () => {
  it("answers with the status, the JSON body and no caching", async () => {
    const response = errorResponse(new AppError("unsupported_media_type", "Only JPEG and PNG."));
    expect(response.status).toBe(415);
    expect(response.headers.get("content-type")).toContain("application/json");
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(response.headers.get("retry-after")).toBeNull();
    expect(await response.json()).toEqual({ error: { code: "unsupported_media_type", message: "Only JPEG and PNG." } });
  });

  it("sets Retry-After in whole seconds, rounded up", () => {
    const response = errorResponse(new AppError("provider_quota", "Wait.", { retryAfterSeconds: 12.3 }));
    expect(response.headers.get("retry-after")).toBe("13");
  });
});

describe("AppError across bundles", () => {
  it("is recognised when another copy of the module made it, as Next's chunks each carry one", async () => {
    vi.resetModules();
    const otherCopy = await import("@/lib/shared/errors");
    expect(otherCopy.AppError).not.toBe(AppError);
    const refusal = new otherCopy.AppError("rate_limited", "Wait a minute.", { retryAfterSeconds: 12 });
    expect(refusal instanceof AppError).toBe(true);
    expect(toAppError(refusal)).toBe(refusal);
    expect(errorResponse(toAppError(refusal)).status).toBe(429);
    expect(new Error("plain") instanceof AppError).toBe(false);
    expect({ name: "AppError", code: "rate_limited" } instanceof AppError).toBe(false);
  });
});
