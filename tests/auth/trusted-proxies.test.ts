import { describe, expect, it } from "vitest";
import { clientAddress, DEFAULT_TRUSTED_PROXIES, isTrusted, parseTrustedProxies } from "@/lib/auth/trusted-proxies";
import { PEER_ADDRESS_HEADER, peerAddressHeaders } from "@/lib/ops/peer-address";

function listOf(value: string | undefined) {
  const { list, invalid } = parseTrustedProxies(value);
  expect(invalid).toEqual([]);
  return list;
}

describe("parseTrustedProxies", () => {
  it(`trusts loopback only when unset (${DEFAULT_TRUSTED_PROXIES})`, () => {
    const list = listOf(undefined);
    for (const address of ["127.0.0.1", "127.255.0.9", "::1", "::ffff:127.0.0.1"]) expect(isTrusted(list, address), address).toBe(true);
    for (const address of ["10.0.0.1", "192.168.1.1", "::2", "fe80::1", "0.0.0.0", "::"]) expect(isTrusted(list, address), address).toBe(false);
  });

  it("reads IPv4 ranges and single addresses", () => {
    const list = listOf("10.0.0.0/8, 192.168.4.7 ,172.16.0.0/12");
    expect(isTrusted(list, "10.200.3.4")).toBe(true);
    expect(isTrusted(list, "192.168.4.7")).toBe(true);
    expect(isTrusted(list, "192.168.4.8")).toBe(false);
    expect(isTrusted(list, "172.31.255.255")).toBe(true);
    expect(isTrusted(list, "172.32.0.0")).toBe(false);
    expect(isTrusted(list, "11.0.0.1")).toBe(false);
    expect(isTrusted(list, "127.0.0.1"), "a list given replaces the default").toBe(false);
  });

  it("reads IPv6 ranges and single addresses, in any spelling", () => {
    const list = listOf("fd00::/8, 2001:DB8:0:0::1, [2001:db9::5]");
    expect(isTrusted(list, "fd12:3456::1")).toBe(true);
    expect(isTrusted(list, "fe00::1")).toBe(false);
    expect(isTrusted(list, "2001:db8::1")).toBe(true);
    expect(isTrusted(list, "2001:0db8:0000::0001")).toBe(true);
    expect(isTrusted(list, "2001:db8::2")).toBe(false);
    expect(isTrusted(list, "2001:db9::5")).toBe(true);
  });

  it("matches an IPv4 peer reported as IPv4-mapped IPv6, and a mapped range as its IPv4 range", () => {
    expect(isTrusted(listOf("10.0.0.0/8"), "::ffff:10.1.2.3")).toBe(true);
    expect(isTrusted(listOf("::ffff:10.0.0.0/104"), "10.1.2.3")).toBe(true);
    expect(isTrusted(listOf("::ffff:10.0.0.0/104"), "11.1.2.3")).toBe(false);
  });

  it("trusts every address with 0.0.0.0/0 and ::/0, and nobody with an empty list", () => {
    const everyone = listOf("0.0.0.0/0, ::/0");
    expect(isTrusted(everyone, "203.0.113.9")).toBe(true);
    expect(isTrusted(everyone, "2001:db8::9")).toBe(true);
    const nobody = listOf(" , ");
    expect(isTrusted(nobody, "127.0.0.1")).toBe(false);
  });

  it("reports the entries that are not addresses or ranges, and keeps the rest", () => {
    const { list, invalid } = parseTrustedProxies("10.0.0.0/8, localhost, 10.0.0.0/33, 1.2.3, ::1/129, 300.1.1.1, fd00::/x, 10.0.0.0/-1, 2001:db8::/64");
    expect(invalid).toEqual(["localhost", "10.0.0.0/33", "1.2.3", "::1/129", "300.1.1.1", "fd00::/x", "10.0.0.0/-1"]);
    expect(isTrusted(list, "10.9.9.9")).toBe(true);
    expect(isTrusted(list, "2001:db8::42")).toBe(true);
  });
});

describe("isTrusted", () => {
  it("is false for anything that is not an address", () => {
    const list = listOf("0.0.0.0/0, ::/0");
    for (const value of ["", "localhost", "1.2.3.4:80", "1.2.3.4, 5.6.7.8", "unknown"]) expect(isTrusted(list, value), value).toBe(false);
  });
});

describe("clientAddress", () => {
  const proxies = listOf("10.0.0.0/8, fd00::/8");

  function headers(peer: string | undefined, forwardedFor?: string | string[]): Headers {
    const result = new Headers(peer === undefined ? {} : peerAddressHeaders(peer));
    for (const value of [forwardedFor ?? []].flat()) result.append("x-forwarded-for", value);
    return result;
  }

  it("is the peer when the peer is not a trusted proxy, whatever X-Forwarded-For claims", () => {
    expect(clientAddress(headers("203.0.113.5", "10.0.0.1, 127.0.0.1"), proxies)).toBe("203.0.113.5");
    expect(clientAddress(headers("::ffff:203.0.113.5"), proxies)).toBe("203.0.113.5");
  });

  it("is the address the trusted proxy appended", () => {
    expect(clientAddress(headers("10.0.0.2", "198.51.100.7"), proxies)).toBe("198.51.100.7");
  });

  it("ignores the left-most entries a client wrote itself", () => {
    // The client sent "X-Forwarded-For: 1.1.1.1, 10.0.0.9"; the proxy appended the address it saw.
    expect(clientAddress(headers("10.0.0.2", "1.1.1.1, 10.0.0.9, 198.51.100.7"), proxies)).toBe("198.51.100.7");
  });

  it("walks past a chain of trusted proxies from the right", () => {
    expect(clientAddress(headers("10.0.0.2", "6.6.6.6, 198.51.100.7, 10.3.3.3, fd00::9"), proxies)).toBe("198.51.100.7");
  });

  it("reads X-Forwarded-For sent as several header lines, in order", () => {
    expect(clientAddress(headers("10.0.0.2", ["6.6.6.6", "198.51.100.7, 10.3.3.3"]), proxies)).toBe("198.51.100.7");
  });

  it("is the left-most address when every address is a trusted proxy", () => {
    expect(clientAddress(headers("10.0.0.2", "10.1.1.1, 10.2.2.2"), proxies)).toBe("10.1.1.1");
  });

  it("is the peer when a trusted proxy sends no X-Forwarded-For", () => {
    expect(clientAddress(headers("10.0.0.2"), proxies)).toBe("10.0.0.2");
    expect(clientAddress(headers("10.0.0.2", " , "), proxies)).toBe("10.0.0.2");
  });

  it("reads entries with ports and IPv6 in any spelling, as one canonical address", () => {
    expect(clientAddress(headers("10.0.0.2", "198.51.100.7:51234"), proxies)).toBe("198.51.100.7");
    expect(clientAddress(headers("10.0.0.2", "[2001:DB8:0::7]:443"), proxies)).toBe("2001:db8::7");
    expect(clientAddress(headers("10.0.0.2", "2001:0db8::7"), proxies)).toBe("2001:db8::7");
    expect(clientAddress(headers("fd00::1", "::ffff:198.51.100.7"), proxies)).toBe("198.51.100.7");
  });

  it("stops at an entry that is not an address, at the last trusted hop", () => {
    expect(clientAddress(headers("10.0.0.2", "198.51.100.7, unknown"), proxies)).toBe("10.0.0.2");
    expect(clientAddress(headers("10.0.0.2", "198.51.100.7, garbage, 10.4.4.4"), proxies)).toBe("10.4.4.4");
  });

  it("is undefined without a peer address (the patch not installed), and never takes a header instead", () => {
    expect(clientAddress(headers(undefined, "198.51.100.7"), proxies)).toBeUndefined();
    expect(clientAddress(headers("not an address", "198.51.100.7"), proxies)).toBeUndefined();
  });

  it("is undefined for an X-Peer-Address the patch did not write (no proof): one sent before it was installed", () => {
    const forged = new Headers({ [PEER_ADDRESS_HEADER]: "10.0.0.2", "x-forwarded-for": "198.51.100.7" });
    expect(clientAddress(forged, proxies)).toBeUndefined();
  });
});
