import { describe, expect, it } from "vitest";
import { lineTensor, type GreyImage } from "@/lib/offline/ocr/text-recognizer";

/**
 * The recogniser's input built from a box of a grey image, on images drawn here pixel by pixel.
 * The model itself is not loaded: analyze-image.test.ts reads real text with it.
 */

const HEIGHT = 48;

/** A grey image whose pixel at (x, y) is `shade(x, y)`. */
function image(width: number, height: number, shade: (x: number, y: number) => number): GreyImage {
  const data = Buffer.alloc(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = shade(x, y);
  return { data, width, height };
}

/** The first channel plane's value at (x, y). */
const at = (tensor: Float32Array, width: number, x: number, y: number) => tensor[y * width + x]!;

/** The mean of the first plane's columns from `from` up to `to`. */
function columnMean(tensor: Float32Array, width: number, from: number, to: number): number {
  let sum = 0;
  for (let y = 0; y < HEIGHT; y++) for (let x = from; x < to; x++) sum += at(tensor, width, x, y);
  return sum / (HEIGHT * (to - from));
}

const grey = image(200, 60, () => 128);

describe("lineTensor: shape", () => {
  it("scales the box to 48 px high and keeps its aspect ratio", () => {
    // 100×20 → 48 high, 240 wide; 30×40 → 36 wide; 50×30 → 80 wide.
    for (const [box, width] of [
      [{ x: 10, y: 5, width: 100, height: 20 }, 240],
      [{ x: 0, y: 0, width: 30, height: 40 }, 36],
      [{ x: 0, y: 0, width: 50, height: 30 }, 80],
    ] as const) {
      const result = lineTensor(grey, box);
      expect(result.width).toBe(width);
      expect(result.tensor).toHaveLength(3 * HEIGHT * width);
    }
  });

  it("rounds the scaled width to whole pixels", () => {
    // 48 · 25 / 14 = 85.7 → 86.
    expect(lineTensor(grey, { x: 0, y: 0, width: 25, height: 14 }).width).toBe(86);
  });

  it("makes a narrow box at least 8 px wide", () => {
    // 48 · 4 / 40 = 4.8: the model needs 8.
    const { tensor, width } = lineTensor(grey, { x: 0, y: 0, width: 4, height: 40 });
    expect(width).toBe(8);
    expect(tensor).toHaveLength(3 * HEIGHT * 8);
  });

  it("writes three identical channel planes", () => {
    const gradient = image(60, 20, (x, y) => (x * 4 + y * 3) % 256);
    const { tensor, width } = lineTensor(gradient, { x: 5, y: 2, width: 40, height: 16 });
    const plane = HEIGHT * width;
    const [red, green, blue] = [0, 1, 2].map((channel) => Array.from(tensor.subarray(channel * plane, (channel + 1) * plane)));
    // The plane is not flat, so equal planes say the copy is right, not just the fill.
    expect(new Set(red).size).toBeGreaterThan(10);
    expect(green).toEqual(red);
    expect(blue).toEqual(red);
  });
});

describe("lineTensor: values", () => {
  it("maps white to 1 and black to −1", () => {
    expect(Array.from(new Set(lineTensor(image(30, 10, () => 255), { x: 0, y: 0, width: 30, height: 10 }).tensor))).toEqual([1]);
    expect(Array.from(new Set(lineTensor(image(30, 10, () => 0), { x: 0, y: 0, width: 30, height: 10 }).tensor))).toEqual([-1]);
  });

  it("gives a uniform image a uniform tensor at its grey scaled to −1..1", () => {
    const { tensor } = lineTensor(image(30, 10, () => 51), { x: 3, y: 1, width: 20, height: 7 });
    // 51 / 127.5 − 1 = −0.6, everywhere: the bilinear weights of a flat image add up to it.
    expect(Math.min(...tensor)).toBeCloseTo(-0.6, 5);
    expect(Math.max(...tensor)).toBeCloseTo(-0.6, 5);
  });

  it("keeps dark on the left and light on the right of a crop across a black/white edge", () => {
    // Black up to x = 40, white from there; the box spans 20–60, the edge in its middle.
    const halves = image(80, 20, (x) => (x < 40 ? 0 : 255));
    const { tensor, width } = lineTensor(halves, { x: 20, y: 0, width: 40, height: 20 });
    expect(width).toBe(96);
    const quarter = width / 4;
    expect(columnMean(tensor, width, 0, quarter)).toBe(-1);
    expect(columnMean(tensor, width, width - quarter, width)).toBe(1);
    // The edge falls in the middle of the crop, blurred over a column or two by the scaling.
    expect(at(tensor, width, width / 2 - 3, 10)).toBe(-1);
    expect(at(tensor, width, width / 2 + 2, 10)).toBe(1);
    // From left to right the tensor only gets lighter.
    for (let x = 1; x < width; x++) expect(at(tensor, width, x, 24)).toBeGreaterThanOrEqual(at(tensor, width, x - 1, 24));
  });

  it("blends neighbouring pixels linearly, sampling at pixel centres as OpenCV's INTER_LINEAR", () => {
    // One black and one white pixel, 1 px high, scaled 48×: 96 columns, column x sampling the
    // source at (x + 0.5) / 48 − 0.5, clamped to the two pixels. Nearest-neighbour sampling
    // would jump from −1 to 1 in the middle instead.
    const pair = image(2, 1, (x) => (x === 0 ? 0 : 255));
    const { tensor, width } = lineTensor(pair, { x: 0, y: 0, width: 2, height: 1 });
    expect(width).toBe(96);
    for (let x = 0; x < width; x++) {
      const between = Math.min(1, Math.max(0, (x + 0.5) / 48 - 0.5));
      expect(at(tensor, width, x, 0)).toBeCloseTo(between * 2 - 1, 5);
      expect(at(tensor, width, x, 47)).toBeCloseTo(between * 2 - 1, 5);
    }
    expect(at(tensor, width, 47, 0)).toBeCloseTo(-1 / 48, 5);

    // The same down the rows: black over white, 1×2 → 24 wide, row y at (y + 0.5) / 24 − 0.5.
    const stacked = image(1, 2, (_, y) => (y === 0 ? 0 : 255));
    const tall = lineTensor(stacked, { x: 0, y: 0, width: 1, height: 2 });
    expect(tall.width).toBe(24);
    for (let y = 0; y < HEIGHT; y++) {
      const between = Math.min(1, Math.max(0, (y + 0.5) / 24 - 0.5));
      expect(at(tall.tensor, tall.width, 0, y)).toBeCloseTo(between * 2 - 1, 5);
      expect(at(tall.tensor, tall.width, 23, y)).toBeCloseTo(between * 2 - 1, 5);
    }
  });

  it("reads the box's pixels, not the image's corner", () => {
    // Black on the left and at the top, white in the bottom right: a box in the white reads white.
    const corner = image(60, 40, (x, y) => (x >= 30 && y >= 20 ? 255 : 0));
    const { tensor } = lineTensor(corner, { x: 35, y: 25, width: 20, height: 10 });
    expect(Array.from(new Set(tensor))).toEqual([1]);
  });
});

describe("lineTensor: boxes past the image's edge", () => {
  const halves = image(50, 20, (x) => (x < 25 ? 0 : 255));

  it("clamps a box reaching past the right edge to the image", () => {
    // 40–70 on a 50 px image: 10 px are there, so the crop is 10×20 → 24 wide, all white.
    const { tensor, width } = lineTensor(halves, { x: 40, y: 0, width: 30, height: 20 });
    expect(width).toBe(24);
    expect(Array.from(new Set(tensor))).toEqual([1]);
  });

  it("clamps a box reaching past the bottom edge to the image", () => {
    // 10 of the 20 rows asked for are there: the crop is 50×10, twice as wide for its height.
    const { tensor, width } = lineTensor(halves, { x: 0, y: 10, width: 50, height: 20 });
    expect(width).toBe(240);
    expect(columnMean(tensor, width, 0, 100)).toBe(-1);
    expect(columnMean(tensor, width, 140, 240)).toBe(1);
  });

  it("keeps only the part inside the image of a box with a negative corner", () => {
    // 20 × 20 from (−10, −5): columns 0–9 and rows 0–14 are inside, 10 × 15 → 32 × 48.
    const { tensor, width } = lineTensor(halves, { x: -10, y: -5, width: 20, height: 20 });
    expect(width).toBe(32);
    expect(Array.from(new Set(tensor))).toEqual([-1]);
  });

  it("reads only pixels inside the image: every value is a number within −1..1", () => {
    for (const box of [
      { x: 45, y: 15, width: 30, height: 30 },
      { x: 49, y: 19, width: 5, height: 5 },
      { x: -20, y: -20, width: 100, height: 100 },
    ]) {
      // A read past the buffer gives undefined, which the arithmetic turns into NaN.
      const { tensor } = lineTensor(halves, box);
      expect(tensor.filter((value) => !(Math.abs(value) <= 1))).toHaveLength(0);
    }
  });
});
