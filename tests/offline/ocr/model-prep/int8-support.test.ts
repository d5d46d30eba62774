import { describe, expect, it } from "vitest";
import { cpuHasInt8DotProducts } from "@/lib/offline/ocr/model-prep/int8-support";

/** Where the int8 recogniser runs, from the CPU's architecture and its Linux flags. */

const cpuInfo = (flags: string) => `processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: fpu sse sse2 ${flags} popcnt\nbugs\t\t: sysret_ss_attrs\n`;

describe("cpuHasInt8DotProducts", () => {
  it("says yes on x86-64 with VNNI, 512- or 256-bit", () => {
    expect(cpuHasInt8DotProducts("x64", cpuInfo("avx2 avx512f avx512_vnni avx512_bf16"))).toBe(true);
    expect(cpuHasInt8DotProducts("x64", cpuInfo("avx2 avx_vnni"))).toBe(true);
  });

  it("says no on x86 without VNNI, or when the flags cannot be read", () => {
    expect(cpuHasInt8DotProducts("x64", cpuInfo("avx2 avx512f avx512bw"))).toBe(false);
    expect(cpuHasInt8DotProducts("x64", null)).toBe(false);
    expect(cpuHasInt8DotProducts("ia32", cpuInfo("sse4_1 avx512_vnni"))).toBe(false);
  });

  it("reads the flags line only, not a flag's name elsewhere", () => {
    expect(cpuHasInt8DotProducts("x64", `model name\t: avx512_vnni lookalike\n${cpuInfo("avx2")}`)).toBe(false);
  });

  it("says no on ARM, where int8 was not measured", () => {
    expect(cpuHasInt8DotProducts("arm64", "Features\t: fp asimd asimddp\n")).toBe(false);
  });
});
