import { describe, expect, it } from "vitest";
import { countJpegScans, countJpegScansInFile, JpegScanCounter } from "@/lib/image/jpeg-scans";
import { diagramJpeg, diagramPng, jpegMarkerCount, manyScanJpeg, progressiveJpeg } from "@/tests/helpers/images";
import { writeTemp } from "@/tests/helpers/temp-files";

const SOS = Buffer.from([0xff, 0xda]);

describe("JPEG scan counting", () => {
  it("counts one scan in a baseline JPEG", async () => {
    expect(countJpegScans(await diagramJpeg())).toBe(1);
  });

  it("counts the scans of sharp's progressive JPEG: about ten, as ordinary encoders write", async () => {
    const jpeg = await progressiveJpeg();
    const scans = countJpegScans(jpeg);
    expect(scans).toBe(jpegMarkerCount(jpeg, SOS));
    expect(scans).toBeGreaterThan(1);
    expect(scans).toBeLessThanOrEqual(12);
  });

  it("counts every scan of a JPEG whose scan is repeated hundreds of times", async () => {
    const jpeg = await manyScanJpeg(500);
    expect(countJpegScans(jpeg)).toBe(500);
    expect(jpeg.length).toBeLessThan(200_000);
  });

  it("gives the same count whatever the chunks the bytes arrive in", async () => {
    const jpeg = await manyScanJpeg(40);
    for (const size of [1, 2, 3, 7, 1000]) {
      const counter = new JpegScanCounter();
      for (let at = 0; at < jpeg.length; at += size) counter.push(jpeg.subarray(at, at + size));
      expect(counter.scans).toBe(40);
    }
  });

  it("reads a file in chunks and stops once past the limit", async () => {
    const path = await writeTemp(await manyScanJpeg(300));
    expect(await countJpegScansInFile(path)).toBe(300);
    const stopped = await countJpegScansInFile(path, 20);
    expect(stopped).toBeGreaterThan(20);
    expect(stopped).toBeLessThanOrEqual(300);
  });

  it("finds no scans in what is not a JPEG, and stops at the first bad byte", async () => {
    expect(countJpegScans(await diagramPng(100))).toBe(0);
    expect(countJpegScans(Buffer.alloc(0))).toBe(0);
    const counter = new JpegScanCounter();
    counter.push(await diagramPng(100));
    expect(counter.finished).toBe(true);
  });

  it("stops at the end-of-image marker: bytes appended after it are not scans", async () => {
    const jpeg = await progressiveJpeg();
    const counter = new JpegScanCounter();
    counter.push(jpeg);
    expect(counter.finished).toBe(true);
    counter.push(await manyScanJpeg(100));
    expect(counter.scans).toBe(countJpegScans(jpeg));
  });
});
