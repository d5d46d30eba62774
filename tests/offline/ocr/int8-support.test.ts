import { describe, expect, it } from "vitest";
import { int8WeightBits } from "@/lib/offline/ocr/int8-support";

/** Which weights the int8 recogniser may use, from the CPU's architecture and its Linux flags. */

const cpuInfo = (flags: string) => `processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: fpu sse sse2 ${flags} popcnt\nbugs\t\t: sysret_ss_attrs\n`;

describe("int8WeightBits", () => {
  it("gives 8 bits on x86 with VNNI, 512- or 256-bit", () => {
    expect(int8WeightBits("x64", cpuInfo("avx2 avx512f avx512_vnni avx512_bf16"))).toBe(8);
    expect(int8WeightBits("x64", cpuInfo("avx2 avx_vnni"))).toBe(8);
  });

  it("gives 7 bits on x86 without VNNI, or when the flags cannot be read", () => {
    expect(int8WeightBits("x64", cpuInfo("avx2 avx512f avx512bw"))).toBe(7);
    expect(int8WeightBits("x64", null)).toBe(7);
    expect(int8WeightBits("ia32", cpuInfo("sse4_1"))).toBe(7);
  });

  it("reads the flags line only, not a flag's name elsewhere", () => {
    expect(int8WeightBits("x64", `model name\t: avx512_vnni lookalike\n${cpuInfo("avx2")}`)).toBe(7);
  });

  it("gives 8 bits on ARM, which sums int8 products without overflow", () => {
    expect(int8WeightBits("arm64", null)).toBe(8);
  });
});
