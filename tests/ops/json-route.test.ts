import { describe, expect, it } from "vitest";
import { answerJson, routeForLog } from "@/lib/ops/json-route";
import { AppError } from "@/lib/shared/errors";

const UNAVAILABLE = "The history cannot be reached right now.";
const get = new Request("http://127.0.0.1:3000/api/conversations/conv_0123456789");

describe("answerJson", () => {
  it("answers with what the work returns", async () => {
    const response = await answerJson(get, { unavailable: UNAVAILABLE }, async () => Response.json({ ok: true }));
    expect(await response.json()).toEqual({ ok: true });
  });

  it("answers an AppError as it is", async () => {
    const response = await answerJson(get, { unavailable: UNAVAILABLE }, async () => {
      throw new AppError("not_found", "No such conversation.");
    });
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: { code: "not_found", message: "No such conversation." } });
  });

  it("answers anything else as the database's failure: 503, try again, no stack", async () => {
    const response = await answerJson(get, { unavailable: UNAVAILABLE }, async () => {
      throw new Error("SQLITE_BUSY: database is locked at /srv/data/history.db");
    });
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("5");
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({ error: { code: "history_unavailable", message: UNAVAILABLE, retryAfterSeconds: 5 } });
    expect(text).not.toContain("SQLITE");
  });

  it("lets the route explain a failure that is the request's fault", async () => {
    const explain = (error: unknown) => (error instanceof RangeError ? new AppError("invalid_request", "That page of the list does not exist.") : undefined);
    const response = await answerJson(get, { unavailable: UNAVAILABLE, explain }, async () => {
      throw new RangeError("cursor");
    });
    expect(response.status).toBe(400);
  });

  it("refuses a state-changing request from another site before doing the work", async () => {
    let worked = false;
    const crossSite = new Request("http://127.0.0.1:3000/api/conversations", { method: "DELETE", headers: { "sec-fetch-site": "cross-site" } });
    const response = await answerJson(crossSite, { changes: true, unavailable: UNAVAILABLE }, async () => {
      worked = true;
      return new Response(null, { status: 204 });
    });
    expect(response.status).toBe(403);
    expect(worked).toBe(false);
  });
});

describe("routeForLog", () => {
  it("names ids :id and keeps the route's own words", () => {
    expect(routeForLog("http://h/api/conversations/conv_0123456789/share")).toBe("/api/conversations/:id/share");
    expect(routeForLog("http://h/api/account/sign-out-everywhere")).toBe("/api/account/sign-out-everywhere");
    expect(routeForLog("http://h/api/tokens/tok_9aZ3kQ2mX1")).toBe("/api/tokens/:id");
  });
});
