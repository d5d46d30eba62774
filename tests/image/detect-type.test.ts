import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { AppError } from "@/lib/shared/errors";
import { detectImageType } from "@/lib/image/detect-type";
import { diagramJpeg, diagramPng, TEXT_FILE } from "@/tests/helpers/images";
import { writeTemp } from "@/tests/helpers/temp-files";

const PDF = Buffer.from("%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n");

async function detectionError(bytes: Uint8Array, name?: string): Promise<AppError> {
  try {
    await detectImageType(await writeTemp(bytes, name));
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error("expected detectImageType to reject");
}

describe("detectImageType", () => {
  it("recognises a PNG by its content", async () => {
    expect(await detectImageType(await writeTemp(await diagramPng(100)))).toBe("image/png");
  });

  it("recognises a JPEG by its content, whatever the file is called", async () => {
    expect(await detectImageType(await writeTemp(await diagramJpeg(100), "diagram.png"))).toBe("image/jpeg");
  });

  it("rejects a text file named .png with 415 unsupported_media_type", async () => {
    const error = await detectionError(TEXT_FILE, "diagram.png");
    expect(error).toMatchObject({ code: "unsupported_media_type", status: 415 });
    expect(error.message).toContain("Only JPEG and PNG");
  });

  it("rejects a GIF with 415, naming the type", async () => {
    const gif = await sharp({ create: { width: 4, height: 4, channels: 3, background: "#f00" } }).gif().toBuffer();
    const error = await detectionError(gif, "diagram.png");
    expect(error).toMatchObject({ code: "unsupported_media_type", status: 415 });
    expect(error.message).toContain("GIF");
    expect(error.message).toContain("image/gif");
  });

  it("rejects a WebP with 415, naming the type", async () => {
    const webp = await sharp({ create: { width: 4, height: 4, channels: 3, background: "#f00" } }).webp().toBuffer();
    const error = await detectionError(webp);
    expect(error).toMatchObject({ code: "unsupported_media_type", status: 415 });
    expect(error.message).toContain("image/webp");
  });

  it("rejects a PDF renamed to .png with 415, naming the type", async () => {
    const error = await detectionError(PDF, "diagram.png");
    expect(error).toMatchObject({ code: "unsupported_media_type", status: 415 });
    expect(error.message).toContain("PDF");
    expect(error.message).toContain("application/pdf");
  });

  it("rejects a zero-byte file with 415", async () => {
    const error = await detectionError(new Uint8Array(0));
    expect(error).toMatchObject({ code: "unsupported_media_type", status: 415 });
    expect(error.message).toContain("not an image");
  });
});
