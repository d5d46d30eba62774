import "server-only";
import { createReadStream } from "node:fs";

/**
 * Counts the scans (SOS segments) of a JPEG by walking its markers, without decoding anything.
 *
 * A progressive JPEG is sent as a series of scans, each refining the one before; a decoder redoes
 * work for every scan, so a small file with hundreds of tiny scans costs a decoder as much as
 * hundreds of images. Ordinary encoders write about ten; libjpeg has a cap of its own, but sharp
 * does not expose it, so the count is checked here before sharp sees the file.
 */
export class JpegScanCounter {
  scans = 0;
  private state: "marker" | "code" | "length-high" | "length-low" | "segment" | "entropy" | "entropy-marker" | "end" = "marker";
  private code = 0;
  private remaining = 0;

  /** Whether the walk is over: the end-of-image marker, or bytes that are not a JPEG's. */
  get finished(): boolean {
    return this.state === "end";
  }

  /** Reads the next bytes of the file; the count so far is in `scans`. */
  push(bytes: Uint8Array): void {
    let index = 0;
    while (index < bytes.length && this.state !== "end") {
      switch (this.state) {
        case "marker":
          // Anything but a marker between segments means a damaged file: sharp will say so.
          if (bytes[index++] === 0xff) this.state = "code";
          else this.state = "end";
          break;
        case "code":
          this.readCode(bytes[index++]!);
          break;
        case "length-high":
          this.remaining = bytes[index++]! << 8;
          this.state = "length-low";
          break;
        case "length-low":
          // The length counts its own two bytes.
          this.remaining = Math.max(0, (this.remaining | bytes[index++]!) - 2);
          this.state = "segment";
          break;
        case "segment": {
          const skipped = Math.min(this.remaining, bytes.length - index);
          index += skipped;
          this.remaining -= skipped;
          // A scan's header is followed by its entropy-coded data, which has no length.
          if (this.remaining === 0) this.state = this.code === SOS ? "entropy" : "marker";
          break;
        }
        case "entropy": {
          const marker = bytes.indexOf(0xff, index);
          if (marker < 0) {
            index = bytes.length;
          } else {
            index = marker + 1;
            this.state = "entropy-marker";
          }
          break;
        }
        case "entropy-marker": {
          const code = bytes[index++]!;
          // 0xFF00 is an escaped data byte, 0xFFD0–D7 restart markers, 0xFFFF fill: all inside the scan.
          if (code === 0x00 || (code >= RST0 && code <= RST7)) this.state = "entropy";
          else if (code !== 0xff) this.readCode(code);
          break;
        }
      }
    }
  }

  private readCode(code: number) {
    if (code === 0xff) return; // fill byte before a marker
    this.code = code;
    if (code === EOI) this.state = "end";
    else if (code === SOI || code === TEM || (code >= RST0 && code <= RST7)) this.state = "marker";
    else {
      if (code === SOS) this.scans++;
      this.state = "length-high";
    }
  }
}

const SOI = 0xd8;
const EOI = 0xd9;
const SOS = 0xda;
const TEM = 0x01;
const RST0 = 0xd0;
const RST7 = 0xd7;

/** The scans in a JPEG held in memory. */
export function countJpegScans(bytes: Uint8Array): number {
  const counter = new JpegScanCounter();
  counter.push(bytes);
  return counter.scans;
}

/**
 * The scans in a JPEG file, read in chunks so that a large upload neither sits in memory nor holds
 * the event loop; it stops reading at the end of the image or once the count passes `stopAbove`.
 */
export async function countJpegScansInFile(path: string, stopAbove = Number.POSITIVE_INFINITY): Promise<number> {
  const counter = new JpegScanCounter();
  const stream = createReadStream(path, { highWaterMark: 1024 * 1024 });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      counter.push(chunk);
      if (counter.scans > stopAbove || counter.finished) break;
    }
  } finally {
    stream.destroy();
  }
  return counter.scans;
}
