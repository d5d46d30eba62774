import { describe, expect, it } from "vitest";
import { readableCode, signInProblem } from "@/components/sign-in/sign-in-problems";
import { registrationSchema, safeNextPath } from "@/lib/shared/sign-in";

describe("safeNextPath", () => {
  it("keeps a path on this site", () => {
    expect(safeNextPath("/c/abc?x=1#y")).toBe("/c/abc?x=1#y");
    expect(safeNextPath(["/s/token", "/other"])).toBe("/s/token");
  });

  it("sends anything that could leave the site, or loop back to sign-in, to /", () => {
    for (const value of [undefined, "", "c/abc", "https://evil.example/", "//evil.example", "/\\evil.example", "/\t/evil.example", "/sign-in", "/sign-in?next=/", "/sign-in/error", "/api/conversations", "/" + "a".repeat(2_001)]) {
      expect(safeNextPath(value), JSON.stringify(value)).toBe("/");
    }
    expect(safeNextPath("/sign-inside")).toBe("/sign-inside");
  });
});

describe("registrationSchema", () => {
  it("trims and lower-cases the e-mail and trims the name, but never the password", () => {
    expect(registrationSchema.parse({ email: " Ada@Example.COM ", name: " Ada ", password: " ten chars " })).toEqual({
      email: "ada@example.com",
      name: "Ada",
      password: " ten chars ",
    });
  });
});

describe("the sign-in error page's problems", () => {
  it("explains the codes better-auth and this app send, whatever their case", () => {
    expect(signInProblem("state_mismatch").title).toBe("The sign-in expired or was interrupted");
    expect(signInProblem("BANNED_USER").title).toBe("This account is disabled");
    expect(signInProblem("invalid_code").title).toBe("The identity provider could not be reached");
    expect(signInProblem("domain_not_allowed").showCode).toBe(false);
  });

  it("falls back to a page that shows the code, and shows only codes that look like one", () => {
    expect(signInProblem("constructor").title).toBe("Signing in did not work");
    expect(signInProblem(undefined).showCode).toBe(true);
    expect(readableCode("weird_code")).toBe("weird_code");
    expect(readableCode(["a", "b"])).toBe("a");
    expect(readableCode("<script>")).toBeUndefined();
    expect(readableCode("x".repeat(65))).toBeUndefined();
  });
});
