import { describe, expect, it } from "vitest";
import { AppError, errorResponse, toAppError } from "@/lib/shared/errors";

describe("AppError", () => {
  it("serialises to the API's error body", () => {
    expect(new AppError("missing_prompt", 400, "Type a task.").toBody()).toEqual({
      error: { code: "missing_prompt", message: "Type a task." },
    });
    expect(new AppError("provider_quota", 503, "Wait.", 30).toBody()).toEqual({
      error: { code: "provider_quota", message: "Wait.", retryAfterSeconds: 30 },
    });
  });
});

describe("toAppError", () => {
  it("passes an AppError through unchanged", () => {
    const error = new AppError("invalid_image", 422, "Damaged.");
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
    const response = errorResponse(new AppError("unsupported_media_type", 415, "Only JPEG and PNG."));
    expect(response.status).toBe(415);
    expect(response.headers.get("content-type")).toContain("application/json");
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(response.headers.get("retry-after")).toBeNull();
    expect(await response.json()).toEqual({ error: { code: "unsupported_media_type", message: "Only JPEG and PNG." } });
  });

  it("sets Retry-After in whole seconds, rounded up", () => {
    const response = errorResponse(new AppError("provider_quota", 503, "Wait.", 12.3));
    expect(response.headers.get("retry-after")).toBe("13");
  });
});
