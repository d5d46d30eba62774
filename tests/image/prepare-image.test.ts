import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { AppError } from "@/lib/shared/errors";
import { prepareImage, type ImageLimits } from "@/lib/image/prepare-image";
import {
  diagramJpeg,
  diagramPng,
  exifRotatedJpeg,
  manyScanJpeg,
  largeDiagramPng,
  photoLikePixels,
  photoLikePng,
  pixelBombPng,
  progressiveJpeg,
  TEXT_FILE,
  transparentPng,
  truncatedPng,
} from "@/tests/helpers/images";
import { writeTemp } from "@/tests/helpers/temp-files";

const LIMITS: ImageLimits = { maxPixels: 100_000_000, maxEdge: 3072 };

async function prepare(bytes: Uint8Array, limits: ImageLimits = LIMITS) {
  return prepareImage(await writeTemp(bytes), limits);
}

async function preparationError(bytes: Uint8Array, limits: ImageLimits = LIMITS): Promise<AppError> {
  try {
    await prepare(bytes, limits);
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error("expected prepareImage to reject");
}

/** The RGBA value of one pixel of an encoded image. */
async function pixel(image: Buffer, x: number, y: number): Promise<number[]> {
  const { data, info } = await sharp(image).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  const offset = (y * info.width + x) * info.channels;
  return [...data.subarray(offset, offset + info.channels)];
}

function isRed([r, g, b]: number[]): boolean {
  return r! > 200 && g! < 60 && b! < 60;
}

describe("prepareImage", () => {
  it("accepts a PNG and reports what it sends and what was uploaded", async () => {
    const prepared = await prepare(await diagramPng(900));
    expect(prepared).toMatchObject({
      mimeType: "image/png",
      width: 900,
      height: 360,
      source: { mimeType: "image/png", width: 900, height: 360 },
    });
    expect(prepared.bytes).toBe(prepared.data.length);
    const output = await sharp(prepared.data).metadata();
    expect(output).toMatchObject({ format: "png", width: 900, height: 360 });
  });

  it("accepts a JPEG and reports its source type", async () => {
    const prepared = await prepare(await diagramJpeg(450));
    expect(prepared.source).toEqual({ mimeType: "image/jpeg", width: 450, height: 180 });
    expect([prepared.width, prepared.height]).toEqual([450, 180]);
    // What is sent is what is declared.
    const format = (await sharp(prepared.data).metadata()).format;
    expect(prepared.mimeType).toBe(format === "png" ? "image/png" : "image/jpeg");
  });

  it("declares the format it actually sends, for a noisy photo too", async () => {
    const pixels = Buffer.alloc(320 * 240 * 3);
    let seed = 7;
    for (let index = 0; index < pixels.length; index++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      pixels[index] = seed & 0xff;
    }
    const photo = await sharp(pixels, { raw: { width: 320, height: 240, channels: 3 } }).png().toBuffer();
    const prepared = await prepare(photo);
    const metadata = await sharp(prepared.data).metadata();
    expect(prepared.mimeType).toBe(`image/${metadata.format === "jpeg" ? "jpeg" : "png"}`);
    expect(["jpeg", "png"]).toContain(metadata.format);
    expect([metadata.width, metadata.height]).toEqual([320, 240]);
  });

  describe("format sent to the model", () => {
    it.each([
      { name: "a PNG diagram", upload: () => diagramPng(2400) },
      { name: "a diagram uploaded as JPEG", upload: () => diagramJpeg(2400) },
    ])("sends $name as lossless PNG", async ({ upload }) => {
      const prepared = await prepare(await upload());
      expect(prepared.mimeType).toBe("image/png");
      expect((await sharp(prepared.data).metadata()).format).toBe("png");
    });

    it("sends a photo as JPEG, at less than a quarter of a PNG of the same pixels", async () => {
      const [width, height] = [1200, 900];
      const prepared = await prepare(await photoLikePng(width, height));
      expect(prepared.mimeType).toBe("image/jpeg");
      const metadata = await sharp(prepared.data).metadata();
      expect(metadata).toMatchObject({ format: "jpeg", width, height });
      // The reference PNG is encoded as prepareImage encodes PNGs (level 6), from the same pixels.
      const png = await sharp(photoLikePixels(width, height), { raw: { width, height, channels: 3 } })
        .png({ compressionLevel: 6 })
        .toBuffer();
      expect(prepared.bytes * 4).toBeLessThan(png.length);
      expect(prepared.bytes).toBe(prepared.data.length);
    });

    it("sends a large photo as JPEG and a large diagram as PNG, each encoded straight from the file", async () => {
      // Both decode to more than the size above which strips are sampled first.
      const [width, height] = [2600, 2400];
      const photo = await prepare(await photoLikePng(width, height));
      expect(photo.mimeType).toBe("image/jpeg");
      const png = await sharp(photoLikePixels(width, height), { raw: { width, height, channels: 3 } }).png({ compressionLevel: 6 }).toBuffer();
      expect(photo.bytes * 4).toBeLessThan(png.length);
      const diagram = await prepare(await largeDiagramPng(6000, 4000));
      expect([diagram.mimeType, diagram.width, diagram.height]).toEqual(["image/png", 3072, 2048]);
    });

    it("sends a large photo under a white band as JPEG: its top rows looked like a diagram, its PNG did not", async () => {
      const [width, height] = [2600, 2400];
      const pixels = photoLikePixels(width, height);
      pixels.fill(255, 0, width * 3 * 200);
      const prepared = await prepare(await sharp(pixels, { raw: { width, height, channels: 3 } }).png().toBuffer());
      expect([prepared.mimeType, prepared.width, prepared.height]).toEqual(["image/jpeg", width, height]);
    });

    it("keeps a photo's colours close (JPEG q90 without chroma subsampling)", async () => {
      const [width, height] = [400, 300];
      const prepared = await prepare(await photoLikePng(width, height));
      expect(prepared.mimeType).toBe("image/jpeg");
      expect((await sharp(prepared.data).metadata()).chromaSubsampling).toBe("4:4:4");
      const sent = await sharp(prepared.data).raw().toBuffer();
      const original = photoLikePixels(width, height);
      let squared = 0;
      for (let index = 0; index < original.length; index++) squared += (sent[index]! - original[index]!) ** 2;
      const psnr = 10 * Math.log10((255 * 255) / (squared / original.length));
      expect(psnr).toBeGreaterThan(35);
    });
  });

  it("rejects a text file named .png with 415 unsupported_media_type", async () => {
    const error = await preparationError(TEXT_FILE);
    expect(error).toMatchObject({ code: "unsupported_media_type", status: 415 });
  });

  it("rejects a GIF with 415 naming the type", async () => {
    const gif = await sharp({ create: { width: 4, height: 4, channels: 3, background: "#f00" } }).gif().toBuffer();
    const error = await preparationError(gif);
    expect(error).toMatchObject({ code: "unsupported_media_type", status: 415 });
    expect(error.message).toContain("GIF");
  });

  it("rejects a zero-byte file", async () => {
    const error = await preparationError(new Uint8Array(0));
    expect(error.status).toBeGreaterThanOrEqual(400);
    expect(error.status).toBeLessThan(500);
  });

  it("decodes the whole image: a truncated PNG fails with 422 invalid_image", async () => {
    const error = await preparationError(await truncatedPng());
    expect(error).toMatchObject({ code: "invalid_image", status: 422 });
    expect(error.message).toContain("damaged or incomplete");
  });

  it("refuses a 20000 × 20000 pixel bomb with 422 image_too_large, naming its size", async () => {
    const error = await preparationError(await pixelBombPng(20_000, 20_000));
    expect(error).toMatchObject({ code: "image_too_large", status: 422 });
    expect(error.message).toContain("20,000 × 20,000");
    expect(error.message).toContain("100,000,000");
  });

  it("refuses an image one pixel over the configured cap, and accepts one at it", async () => {
    const png = await diagramPng(100); // 100 × 40
    expect((await prepare(png, { maxPixels: 4000, maxEdge: 3072 })).width).toBe(100);
    const error = await preparationError(png, { maxPixels: 3999, maxEdge: 3072 });
    expect(error).toMatchObject({ code: "image_too_large", status: 422 });
  });

  it("refuses a JPEG of absurdly many progressive scans with 422 image_too_complex, before decoding it", async () => {
    const error = await preparationError(await manyScanJpeg(400, 4000, 4000), { ...LIMITS, maxJpegScans: 64 });
    expect(error).toMatchObject({ code: "image_too_complex", status: 422 });
    expect(error.message).toContain("more than 64 progressive scans");
  });

  it("accepts an ordinary progressive JPEG under the scan limit", async () => {
    const prepared = await prepare(await progressiveJpeg(), { ...LIMITS, maxJpegScans: 64 });
    expect([prepared.width, prepared.height]).toEqual([640, 480]);
  });

  it("stops a decode that takes longer than the time budget with 422 image_too_complex", async () => {
    // Interlaced: libvips must decode all of it before it can scale any of it.
    const slow = await sharp({ create: { width: 10_000, height: 10_000, channels: 3, background: "#8a8f96" } })
      .png({ progressive: true, compressionLevel: 1 })
      .toBuffer();
    const startedAt = Date.now();
    const error = await preparationError(slow, { ...LIMITS, timeoutSeconds: 1 });
    expect(error).toMatchObject({ code: "image_too_complex", status: 422 });
    expect(error.message).toContain("longer than 1 s");
    // Stopped near the budget, not after the whole decode.
    expect(Date.now() - startedAt).toBeLessThan(15_000);
  }, 30_000);

  it("turns an EXIF-rotated photo upright: 300 × 200 with the red corner at the top right", async () => {
    const source = await exifRotatedJpeg();
    expect((await sharp(source).metadata()).orientation).toBe(6); // the fixture really is rotated
    const prepared = await prepare(source);
    expect([prepared.width, prepared.height]).toEqual([300, 200]);
    const info = await sharp(prepared.data).metadata();
    expect([info.width, info.height]).toEqual([300, 200]);
    expect(isRed(await pixel(prepared.data, 290, 10))).toBe(true);
    expect(isRed(await pixel(prepared.data, 10, 10))).toBe(false);
    expect(isRed(await pixel(prepared.data, 10, 190))).toBe(false);
    expect(isRed(await pixel(prepared.data, 290, 190))).toBe(false);
  });

  it("removes all metadata: no EXIF, orientation, ICC or XMP, and no camera or location text", async () => {
    const prepared = await prepare(await exifRotatedJpeg());
    const metadata = await sharp(prepared.data).metadata();
    expect(metadata.exif).toBeUndefined();
    expect(metadata.icc).toBeUndefined();
    expect(metadata.xmp).toBeUndefined();
    expect(metadata.orientation).toBeUndefined();
    expect(prepared.data.includes("Test Camera")).toBe(false);
    expect(prepared.data.includes("secret location")).toBe(false);
  });

  it("scales a large image down to the long edge, keeping the aspect ratio", async () => {
    const wide = await sharp({ create: { width: 5000, height: 1000, channels: 3, background: "#336699" } }).png().toBuffer();
    const prepared = await prepare(wide, { maxPixels: 100_000_000, maxEdge: 1000 });
    expect([prepared.width, prepared.height]).toEqual([1000, 200]);
    expect(prepared.source).toMatchObject({ width: 5000, height: 1000 });

    const tall = await sharp({ create: { width: 1000, height: 5000, channels: 3, background: "#336699" } }).png().toBuffer();
    const upright = await prepare(tall, { maxPixels: 100_000_000, maxEdge: 3072 });
    expect(upright.height).toBe(3072);
    expect(Math.abs(upright.width - 614)).toBeLessThanOrEqual(1);
  });

  it("never upscales a small image", async () => {
    const prepared = await prepare(await diagramPng(120), LIMITS);
    expect([prepared.width, prepared.height]).toEqual([120, 48]);
  });

  it("flattens a transparent PNG onto white and drops the alpha channel", async () => {
    const prepared = await prepare(await transparentPng());
    const metadata = await sharp(prepared.data).metadata();
    expect(metadata.hasAlpha).toBe(false);
    expect(metadata.channels).toBe(3);
    expect(await pixel(prepared.data, 0, 0)).toEqual([255, 255, 255, 255]);
    expect(await pixel(prepared.data, 199, 79)).toEqual([255, 255, 255, 255]);
  });
});
