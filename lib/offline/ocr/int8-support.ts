import { readFileSync } from "node:fs";

/**
 * How many bits the quantized recogniser's weights may use on this CPU. onnxruntime multiplies
 * u8 activations by s8 weights. With VNNI (avx512_vnni, avx_vnni) x86 CPUs sum those products
 * in 32 bits; without it they add pairs of them in 16 bits first, where 255 · 127 · 2 overflows
 * and 255 · 63 · 2 does not, so weights keep to 7 bits there. ARM sums in 32 bits (or in 16
 * bits one product at a time, which fits).
 */
export function int8WeightBits(arch: string = process.arch, cpuInfo: string | null = readCpuInfo()): 7 | 8 {
  if (arch !== "x64" && arch !== "ia32") return 8;
  return cpuInfo !== null && /^flags\s*:.*\b(?:avx512_vnni|avx_vnni)\b/m.test(cpuInfo) ? 8 : 7;
}

/** Linux's CPU description; elsewhere unknown, and an unknown x86 CPU gets the safe 7 bits. */
function readCpuInfo(): string | null {
  try {
    return readFileSync("/proc/cpuinfo", "utf8");
  } catch {
    return null;
  }
}
