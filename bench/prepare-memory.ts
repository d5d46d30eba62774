/**
 * One image prepared in a fresh process, reporting as JSON how far its resident memory rose above
 * where it stood before (sampled every 5 ms). bench/prepare-image.ts runs it once per input, so
 * that no earlier image's memory, kept by the allocator, hides this one's.
 */
import { prepareImage } from "@/lib/image/prepare-image";

const file = process.argv[2];
if (!file) throw new Error("usage: prepare-memory.ts <image file>");
const before = process.memoryUsage().rss;
let peak = before;
const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
await prepareImage(file, { maxPixels: 100_000_000, maxEdge: 3072 });
clearInterval(sampler);
peak = Math.max(peak, process.memoryUsage().rss);
process.stdout.write(`${JSON.stringify({ peakGrowthBytes: peak - before })}\n`);
