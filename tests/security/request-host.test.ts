import { describe, expect, it } from "vitest";
import type { AllowedHosts } from "@/lib/security/host-names";
import { hostAndOriginError, rejectUntrustedHost } from "@/lib/security/request-host";

const ALLOWED: AllowedHosts = { anyHost: false, names: ["localhost", "127.0.0.1", "[::1]", "diagrams.example.com"] };

function check(headers: Record<string, string>, allowed: AllowedHosts = ALLOWED) {
  return hostAndOriginError(new Headers(headers), allowed);
}

describe("hostAndOriginError: Host", () => {
  it.each(["localhost:3000", "LOCALHOST", "127.0.0.1:3107", "[::1]:3000", "diagrams.example.com", "diagrams.example.com.:443"])(
    "accepts Host %s",
    (host) => expect(check({ host })).toBeUndefined(),
  );

  it("accepts any IP address: rebinding needs a name the attacker controls", () => {
    expect(check({ host: "10.0.0.5:3000" })).toBeUndefined();
    expect(check({ host: "[fd00::5]:3000" })).toBeUndefined();
  });

  it("refuses a name it does not answer to with 403 host_not_allowed, naming it and ALLOWED_HOSTS", () => {
    const error = check({ host: "rebind.attacker.example:3000" });
    expect(error).toMatchObject({ code: "host_not_allowed", status: 403 });
    expect(error?.message).toContain("rebind.attacker.example");
    expect(error?.message).toContain("ALLOWED_HOSTS");
  });

  it.each<Record<string, string>>([{}, { host: "" }, { host: "bad host" }, { host: "127.0.0.1.nip.io" }])("refuses Host %j", (headers) => {
    expect(check(headers)?.code).toBe("host_not_allowed");
  });

  it("accepts any Host when ALLOWED_HOSTS=*", () => {
    expect(check({ host: "rebind.attacker.example" }, { anyHost: true, names: [] })).toBeUndefined();
  });

  it("quotes a long or odd Host only in part", () => {
    const error = check({ host: `${"a".repeat(300)}.example` });
    expect(error?.message.length).toBeLessThan(300);
  });
});

describe("hostAndOriginError: Origin", () => {
  it("accepts the page's own origin, and a page at a name the server answers to", () => {
    expect(check({ host: "127.0.0.1:3107", origin: "http://127.0.0.1:3107" })).toBeUndefined();
    expect(check({ host: "10.0.0.5:3000", origin: "http://10.0.0.5:3000" })).toBeUndefined();
    expect(check({ host: "127.0.0.1:3107", origin: "https://diagrams.example.com" })).toBeUndefined();
  });

  it.each(["https://evil.example", "http://rebind.attacker.example:3107", "null", "not a url", "file:///tmp/page.html", "http://10.0.0.9:3000"])(
    "refuses Origin %s with 403 origin_not_allowed",
    (origin) => {
      expect(check({ host: "127.0.0.1:3107", origin })).toMatchObject({ code: "origin_not_allowed", status: 403 });
    },
  );

  it("checks Host first: a forged Host is refused whatever the Origin says", () => {
    expect(check({ host: "rebind.attacker.example", origin: "http://rebind.attacker.example" })?.code).toBe("host_not_allowed");
  });
});

describe("rejectUntrustedHost", () => {
  it("throws the refusal for a request, and nothing for an allowed one", () => {
    const request = (host: string) => new Request("http://127.0.0.1/api/analyze", { method: "POST", headers: { host } });
    expect(() => rejectUntrustedHost(request("localhost:3000"), ALLOWED)).not.toThrow();
    expect(() => rejectUntrustedHost(request("rebind.attacker.example"), ALLOWED)).toThrow(/does not answer to the name/);
  });
});
