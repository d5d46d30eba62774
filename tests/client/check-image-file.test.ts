import { describe, expect, it } from "vitest";
import { checkImageFile } from "@/lib/client/check-image-file";
import { diagramJpeg as jpegBuffer, diagramPng as pngBuffer, TEXT_FILE } from "@/tests/helpers/images";

// File wants ArrayBuffer-backed parts; sharp hands out Buffers.
const diagramPng = async (width: number) => new Uint8Array(await pngBuffer(width));
const diagramJpeg = async (width: number) => new Uint8Array(await jpegBuffer(width));

const LIMIT = 200 * 1024 * 1024;

describe("checkImageFile (browser-side check)", () => {
  it("lets a PNG through", async () => {
    expect(await checkImageFile(new File([await diagramPng(100)], "diagram.png", { type: "image/png" }), LIMIT)).toBeNull();
  });

  it("lets a JPEG through, whatever its name", async () => {
    expect(await checkImageFile(new File([await diagramJpeg(100)], "photo.jpeg", { type: "image/jpeg" }), LIMIT)).toBeNull();
    expect(await checkImageFile(new File([await diagramJpeg(100)], "export"), LIMIT)).toBeNull();
  });

  it("rejects a text file named .png, naming the file and the accepted types", async () => {
    const message = await checkImageFile(new File([new Uint8Array(TEXT_FILE)], "diagram.png", { type: "image/png" }), LIMIT);
    expect(message).toContain("diagram.png");
    expect(message).toContain("not a JPEG or PNG");
  });

  it("rejects a GIF", async () => {
    const gif = new TextEncoder().encode("GIF89a\x01\x00\x01\x00\x00\x00\x00;");
    expect(await checkImageFile(new File([gif], "anim.gif"), LIMIT)).toContain("not a JPEG or PNG");
  });

  it("rejects a file shorter than any signature", async () => {
    expect(await checkImageFile(new File([new Uint8Array([0x89, 0x50])], "tiny.png"), LIMIT)).toContain("not a JPEG or PNG");
  });

  it("rejects an empty file", async () => {
    expect(await checkImageFile(new File([], "empty.png"), LIMIT)).toBe("“empty.png” is empty.");
  });

  it("rejects a file over the limit with both sizes in the message", async () => {
    const file = new File([new Uint8Array(3 * 1024 * 1024)], "huge.png");
    const message = await checkImageFile(file, 2 * 1024 * 1024);
    expect(message).toContain("huge.png");
    expect(message).toContain("3.0 MB");
    expect(message).toContain("2.0 MB");
  });

  it("accepts a file of exactly the limit", async () => {
    const png = await diagramPng(100);
    expect(await checkImageFile(new File([png], "d.png"), png.length)).toBeNull();
  });
});
