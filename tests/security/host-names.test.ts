import { describe, expect, it } from "vitest";
import { allowedHostsFrom, isIpAddress, normaliseHostName } from "@/lib/security/host-names";

describe("normaliseHostName", () => {
  it.each([
    ["localhost:3000", "localhost"],
    ["Example.COM", "example.com"],
    ["example.com.", "example.com"],
    ["[::1]:3000", "[::1]"],
    ["127.0.0.1:80", "127.0.0.1"],
    ["https://diagrams.example.com/tools", "diagrams.example.com"],
  ])("reads %s as %s", (value, expected) => {
    expect(normaliseHostName(value)).toBe(expected);
  });

  it.each(["", "  ", "exa mple.com", "host/path", "user@host", "host?x=1"])("refuses %j", (value) => {
    expect(normaliseHostName(value)).toBeUndefined();
  });
});

describe("isIpAddress", () => {
  it.each(["127.0.0.1", "10.0.0.5", "[::1]", "[fd00::5]"])("%s is one", (name) => expect(isIpAddress(name)).toBe(true));
  it.each(["localhost", "rebind.attacker.example", "127.0.0.1.nip.io"])("%s is not", (name) => expect(isIpAddress(name)).toBe(false));
});

describe("allowedHostsFrom", () => {
  it("allows the local names and the machine's name by default", () => {
    expect(allowedHostsFrom(undefined, undefined, "Build-Box")).toEqual({
      anyHost: false,
      names: ["localhost", "127.0.0.1", "[::1]", "build-box"],
      invalid: [],
    });
  });

  it("adds the public URL's host and the listed names, ports dropped, and reports what is not a name", () => {
    const allowed = allowedHostsFrom("https://diagrams.example.com:8443/app", " a.example:80 ,,b.example , not a host", "box");
    expect(allowed.names).toEqual(["localhost", "127.0.0.1", "[::1]", "box", "diagrams.example.com", "a.example", "b.example"]);
    expect(allowed.invalid).toEqual(["not a host"]);
    expect(allowed.anyHost).toBe(false);
  });

  it("allows any host when the list has *", () => {
    expect(allowedHostsFrom(undefined, "*", "box").anyHost).toBe(true);
  });
});
