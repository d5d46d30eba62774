import { describe, expect, it } from "vitest";
import { createNonce, pageContentSecurityPolicy } from "@/lib/security/content-security-policy";

function directive(policy: string, name: string): string | undefined {
  return policy.split("; ").find((each) => each.startsWith(`${name} `));
}

describe("pageContentSecurityPolicy", () => {
  it("lets scripts run only with the nonce, never inline or through eval in production", () => {
    const scripts = directive(pageContentSecurityPolicy("abc123"), "script-src");
    expect(scripts).toBe("script-src 'self' 'nonce-abc123' 'strict-dynamic'");
    expect(scripts).not.toContain("unsafe");
  });

  it("allows eval only in development, where React needs it", () => {
    expect(directive(pageContentSecurityPolicy("n", { development: true }), "script-src")).toContain("'unsafe-eval'");
  });

  it("keeps everything else to this origin and forbids framing", () => {
    const policy = pageContentSecurityPolicy("n");
    expect(policy).toContain("default-src 'self'");
    expect(policy).toContain("connect-src 'self'");
    expect(policy).toContain("object-src 'none'");
    expect(policy).toContain("frame-ancestors 'none'");
  });
});

describe("createNonce", () => {
  it("is fresh each time and long enough not to be guessed", () => {
    const nonces = new Set(Array.from({ length: 100 }, createNonce));
    expect(nonces.size).toBe(100);
    for (const nonce of nonces) expect(Buffer.from(nonce, "base64").length).toBeGreaterThanOrEqual(16);
  });
});
