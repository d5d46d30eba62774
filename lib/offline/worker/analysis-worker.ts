import { parentPort } from "node:worker_threads";
import { analyzeImage } from "@/lib/offline/analyze-image";
import { createPaddleOcr, type OcrEngine } from "@/lib/offline/ocr/paddle-ocr";
import type { AnalysisReply, AnalysisRequest } from "@/lib/offline/worker/protocol";
import { disableImageCache } from "@/lib/server/native-memory";

/**
 * The offline analyzer's thread: OCR and layout are seconds of CPU work that must not stall the
 * server's event loop. One OCR engine, loaded on the first request and kept; requests arrive one
 * at a time (the main thread queues them).
 */

// Model files are read from disk (PaddleOCR libraries download models they are not handed).
// This thread has no reason to touch the network, so it cannot.
globalThis.fetch = () => Promise.reject(new Error("The offline analyzer does not use the network."));

// Loading sharp in this thread restored its process-wide cache, which the server turns off.
disableImageCache();

let engine: Promise<OcrEngine> | undefined;

parentPort?.on("message", async ({ id, image }: AnalysisRequest) => {
  let reply: AnalysisReply;
  try {
    engine ??= createPaddleOcr();
    reply = { id, analysis: await analyzeImage(await engine, Buffer.from(image)) };
  } catch (error) {
    engine = undefined;
    reply = { id, error: error instanceof Error ? error.message : String(error) };
  }
  parentPort?.postMessage(reply);
});
