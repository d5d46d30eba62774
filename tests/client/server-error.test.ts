import { describe, expect, it } from "vitest";
import { explanationOf, unexplainedFailure } from "@/lib/client/server-error";

describe("explanationOf", () => {
  it("reads the API's JSON error", () => {
    expect(explanationOf('{"error":{"code":"server_busy","message":"The server is busy. Try again in 3 s.","retryAfterSeconds":3}}')).toEqual({
      code: "server_busy",
      message: "The server is busy. Try again in 3 s.",
    });
  });

  it("says nothing of a body that is not one: HTML, other JSON, an unknown code, nothing", () => {
    expect(explanationOf("<html><body>502 Bad Gateway</body></html>")).toBeUndefined();
    expect(explanationOf('{"message":"nope"}')).toBeUndefined();
    expect(explanationOf('{"error":{"code":"made_up","message":"x"}}')).toBeUndefined();
    expect(explanationOf("")).toBeUndefined();
  });
});

describe("unexplainedFailure", () => {
  it("names a 413 as too large, anything else by its status", () => {
    expect(unexplainedFailure(413)).toEqual({ code: "file_too_large", message: "The image is too large for this server." });
    expect(unexplainedFailure(502).message).toBe("The server could not answer (HTTP 502). Please try again in a moment.");
  });
});
