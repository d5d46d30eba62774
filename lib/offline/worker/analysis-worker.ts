import "server-only";
import { parentPort } from "node:worker_threads";
import { analyzeImage } from "@/lib/offline/analyze-image";
import { createPaddleOcr, type OcrEngine } from "@/lib/offline/ocr/paddle-ocr";
import type { AnalysisThreadReply, AnalysisThreadRequest } from "@/lib/offline/worker/protocol";
import { disableImageCache } from "@/lib/ops/native-memory";

/**
 * The offline analyzer's thread: OCR and layout are seconds of CPU work that must not stall the
 * server's event loop. One OCR engine, loaded on the first request and kept; requests arrive one
 * at a time (the main thread queues them), and a cancellation may arrive while one runs.
 */

// Model files are read from disk (PaddleOCR libraries download models they are not handed).
// This thread has no reason to touch the network, so it cannot.
globalThis.fetch = () => Promise.reject(new Error("The offline analyzer does not use the network."));

// Loading sharp in this thread restored its process-wide cache, which the server turns off.
disableImageCache();

let engine: Promise<OcrEngine> | undefined;

/**
 * The engine after one detection and one recognition on a blank image: their first runs pay for
 * one-time set-up (the detector's OpenCV runtime, the sessions' first allocations), which would
 * otherwise be charged to the first image's OCR budget and cut its reading short.
 */
async function warmedUp(ocr: OcrEngine): Promise<OcrEngine> {
  const blank = { data: new Uint8Array(64 * 32 * 3).fill(255), width: 64, height: 32, channels: 3 };
  await ocr.read(blank);
  await ocr.readLines(blank, [{ x: 0, y: 0, width: 64, height: 32 }], { invert: false });
  return ocr;
}
const running = new Map<number, AbortController>();

parentPort?.on("message", async (request: AnalysisThreadRequest) => {
  if (request.type === "cancel") {
    running.get(request.id)?.abort();
    return;
  }
  const { id, image, budget } = request;
  const abort = new AbortController();
  running.set(id, abort);
  let reply: AnalysisThreadReply;
  try {
    engine ??= createPaddleOcr().then(warmedUp);
    const analysis = await analyzeImage(await engine, Buffer.from(image), { signal: abort.signal, budget });
    reply = { id, analysis, bytes: JSON.stringify(analysis).length };
  } catch (error) {
    if (abort.signal.aborted) {
      reply = { id, cancelled: true };
    } else {
      // A failure may have left the engine broken: the next request loads it again.
      engine = undefined;
      reply = { id, error: error instanceof Error ? error.message : String(error) };
    }
  } finally {
    running.delete(id);
  }
  parentPort?.postMessage(reply);
});
