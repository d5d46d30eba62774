import sharp from "sharp";

/**
 * Small real images made on the spot, so the tests need no fixture folder: a diagram rendered
 * from SVG like the ones people upload, and the broken and hostile files they sometimes do.
 */

export const DIAGRAM_LABELS = ["API Gateway", "Lambda Functions", "Amazon S3"];

const DIAGRAM_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="900" height="360" viewBox="0 0 900 360">
  <rect width="900" height="360" fill="#ffffff"/>
  <text x="24" y="40" font-family="DejaVu Sans, Arial, sans-serif" font-size="24" fill="#111">Serverless ingestion</text>
  <g font-family="DejaVu Sans, Arial, sans-serif" font-size="20" fill="#111">
    <rect x="40" y="140" width="200" height="70" rx="8" fill="#fff3e0" stroke="#e65100" stroke-width="2"/>
    <text x="70" y="182">API Gateway</text>
    <rect x="340" y="140" width="220" height="70" rx="8" fill="#fff3e0" stroke="#e65100" stroke-width="2"/>
    <text x="362" y="182">Lambda Functions</text>
    <rect x="660" y="140" width="200" height="70" rx="8" fill="#e8f5e9" stroke="#1b5e20" stroke-width="2"/>
    <text x="700" y="182">Amazon S3</text>
  </g>
  <g stroke="#333" stroke-width="2" fill="#333">
    <line x1="240" y1="175" x2="330" y2="175"/><polygon points="330,169 340,175 330,181"/>
    <line x1="560" y1="175" x2="650" y2="175"/><polygon points="650,169 660,175 650,181"/>
  </g>
</svg>`;

export async function diagramPng(width = 900): Promise<Buffer> {
  return sharp(Buffer.from(DIAGRAM_SVG)).resize({ width }).png().toBuffer();
}

export async function diagramJpeg(width = 900): Promise<Buffer> {
  return sharp(Buffer.from(DIAGRAM_SVG)).resize({ width }).jpeg({ quality: 90 }).toBuffer();
}

/**
 * The diagram drawn sharply at a poster-sized resolution (default 6000 × 4000, the size of a
 * large exported diagram), centred on white where the aspect ratios differ.
 */
export async function largeDiagramPng(width = 6000, height = 4000): Promise<Buffer> {
  const density = 72 * Math.min(width / 900, height / 360);
  return sharp(Buffer.from(DIAGRAM_SVG), { density })
    .resize({ width, height, fit: "contain", background: "#ffffff" })
    .png()
    .toBuffer();
}

/**
 * The raw RGB pixels of a photo-like picture (like bench/prepare-image.ts's synthetic photo, but
 * smaller): smooth colour gradients with mild sensor-like noise (±6 per channel). Lossless PNG
 * spends about 22 bits per pixel on it; JPEG q90 is about 15 times smaller.
 */
export function photoLikePixels(width = 1200, height = 900): Buffer {
  const pixels = Buffer.alloc(width * height * 3);
  let seed = 11;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const base = [
        128 + 90 * Math.sin(x / 170 + y / 310),
        120 + 80 * Math.cos(y / 140 - x / 420),
        110 + 70 * Math.sin((x + y) / 260),
      ];
      for (let channel = 0; channel < 3; channel++) {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        const noise = ((seed >> 16) % 13) - 6;
        pixels[(y * width + x) * 3 + channel] = Math.max(0, Math.min(255, Math.round(base[channel]! + noise)));
      }
    }
  }
  return pixels;
}

/** photoLikePixels as a lossless PNG upload: what is decoded is exactly those pixels. */
export async function photoLikePng(width = 1200, height = 900): Promise<Buffer> {
  return sharp(photoLikePixels(width, height), { raw: { width, height, channels: 3 } }).png().toBuffer();
}

/**
 * A 300×200 landscape photo stored as 200×300 pixels with EXIF orientation 6 ("rotate 90° clockwise
 * to view"), plus a camera model and GPS-like comment that must not survive preparation. The
 * top-left of the stored pixels is red, so after rotation red is at the top right.
 */
export async function exifRotatedJpeg(): Promise<Buffer> {
  const stored = await sharp({ create: { width: 200, height: 300, channels: 3, background: "#1e66f5" } })
    .composite([{ input: { create: { width: 60, height: 60, channels: 3, background: "#ff0000" } }, top: 0, left: 0 }])
    .jpeg({ quality: 95 })
    .toBuffer();
  // sharp writes the Orientation tag from its own setting (default 1), overriding one given in
  // withExif: it must be set with withMetadata for the file to really be rotated.
  return sharp(stored)
    .withExif({ IFD0: { Model: "Test Camera X100", ImageDescription: "secret location 48.85N 2.35E" } })
    .withMetadata({ orientation: 6 })
    .jpeg({ quality: 95 })
    .toBuffer();
}

/** A PNG with transparent background and black text: models see it as black on black unless flattened. */
export async function transparentPng(): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="200" height="80"><text x="10" y="50" font-size="30" fill="#000">Redis</text></svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

/** The first 60 % of a valid PNG: the header reads fine, the pixels end early. */
export async function truncatedPng(): Promise<Buffer> {
  const whole = await sharp({ create: { width: 640, height: 480, channels: 3, background: "#808080" } })
    .composite([{ input: await noise(640, 480), top: 0, left: 0 }])
    .png()
    .toBuffer();
  return whole.subarray(0, Math.floor(whole.length * 0.6));
}

/**
 * A tiny PNG whose header claims 20000 × 20000 pixels (400 megapixels): the shape of a
 * decompression bomb. Only the IHDR chunk is rewritten, with a correct CRC, so decoders believe it.
 */
export async function pixelBombPng(width = 20_000, height = 20_000): Promise<Buffer> {
  const png = Buffer.from(await sharp({ create: { width: 1, height: 1, channels: 3, background: "#000" } }).png().toBuffer());
  // Signature (8) + IHDR length (4) + "IHDR" (4), then width and height, big-endian.
  png.writeUInt32BE(width, 16);
  png.writeUInt32BE(height, 20);
  png.writeUInt32BE(crc32(png.subarray(12, 29)), 29);
  return png;
}

export const TEXT_FILE = Buffer.from("This is a text file pretending to be a PNG.\n");

async function noise(width: number, height: number): Promise<Buffer> {
  const pixels = Buffer.alloc(width * height * 3);
  let seed = 42;
  for (let index = 0; index < pixels.length; index++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    pixels[index] = seed & 0xff;
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } }).png().toBuffer();
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = CRC_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/**
 * A progressive JPEG (sharp's `progressive: true`) of noise, the kind of picture that needs every
 * scan, `width` × `height` pixels.
 */
export async function progressiveJpeg(width = 640, height = 480): Promise<Buffer> {
  return sharp(await noise(width, height)).jpeg({ quality: 90, progressive: true }).toBuffer();
}

/**
 * A progressive JPEG whose last scan is repeated until it has `scans` scans: a small file (its
 * picture is a flat grey, so each scan is a few bytes) that a decoder must work through once per
 * scan. Scans start with the marker 0xFFDA; the file ends with 0xFFD9.
 */
export async function manyScanJpeg(scans: number, width = 640, height = 480): Promise<Buffer> {
  const base = await sharp({ create: { width, height, channels: 3, background: "#8a8f96" } })
    .jpeg({ quality: 90, progressive: true })
    .toBuffer();
  const sos = Buffer.from([0xff, 0xda]);
  const lastScan = base.lastIndexOf(sos);
  const end = base.length - 2;
  const ownScans = jpegMarkerCount(base, sos);
  const repeated = Array.from({ length: Math.max(0, scans - ownScans) }, () => base.subarray(lastScan, end));
  return Buffer.concat([base.subarray(0, end), ...repeated, Buffer.from([0xff, 0xd9])]);
}

/** How often a two-byte marker appears in a file: in a JPEG, 0xFF in data is always escaped. */
export function jpegMarkerCount(bytes: Buffer, marker: Buffer): number {
  let count = 0;
  for (let at = bytes.indexOf(marker); at >= 0; at = bytes.indexOf(marker, at + 2)) count++;
  return count;
}
