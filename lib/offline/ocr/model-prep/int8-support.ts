import "server-only";
import { readFileSync } from "node:fs";

/**
 * Whether this CPU has the int8 dot products (VNNI: avx512_vnni or avx_vnni) on which the int8
 * recogniser was measured to be faster and to read as well as float. Without them onnxruntime
 * adds pairs of u8 × s8 products in 16 bits, which 8-bit weights can overflow; 7-bit weights
 * avoid that but read fewer labels of the 800 px fixtures than float (docs/offline-analyzer.md,
 * "int8"), and neither was timed on such a CPU, nor on ARM: there the recogniser runs float.
 * The flags come from Linux's /proc/cpuinfo; elsewhere they are unknown, and unknown is no.
 */
export function cpuHasInt8DotProducts(arch: string = process.arch, cpuInfo: string | null = readCpuInfo()): boolean {
  return arch === "x64" && cpuInfo !== null && /^flags\s*:.*\b(?:avx512_vnni|avx_vnni)\b/m.test(cpuInfo);
}

function readCpuInfo(): string | null {
  try {
    return readFileSync("/proc/cpuinfo", "utf8");
  } catch {
    return null;
  }
}
