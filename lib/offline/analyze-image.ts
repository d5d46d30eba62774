import "server-only";
import sharp from "sharp";
import { matchConcept, type Concept } from "@/lib/offline/catalog/catalog";
import { analyzeLayout, findStepMarkers, type RawPixels } from "@/lib/offline/layout";
import type { OcrEngine } from "@/lib/offline/ocr/paddle-ocr";
import type { Box, DiagramLayout, LayoutNode, TextBox } from "@/lib/offline/types";

/** A node of the diagram with what the catalogue knows about it. */
export interface ComponentReading {
  node: LayoutNode;
  concept: (Pick<Concept, "id" | "name" | "role" | "category"> & { alias: string }) | null;
}

/** Everything the offline analyzer read from one image: the input of every answer. */
export interface ImageAnalysis {
  width: number;
  height: number;
  /** Every line of text read, in reading order. */
  texts: TextBox[];
  layout: DiagramLayout;
  components: ComponentReading[];
  /** A diagram has labelled boxes; a photo or a screenshot of prose has not. */
  isDiagram: boolean;
  /** The most common colours, most common first, as #rrggbb with their share of the image. */
  colours: Array<{ hex: string; share: number }>;
  /**
   * Present when the OCR budget ran out before every line of text was read: the answer is about
   * part of the image and must say so.
   */
  partialRead?: { linesFound: number; linesRead: number };
}

/** What the analysis of one image may spend before it answers with what it has. */
export interface AnalysisBudget {
  /** Lines of text read at most. */
  maxTextLines: number;
  /** Time for the OCR, from the start of the analysis. */
  ocrMs: number;
}

export interface AnalyzeImageOptions {
  /** Aborted when nobody waits for the analysis any more: it stops between stages. */
  signal?: AbortSignal;
  budget?: AnalysisBudget;
}

/** Fewer labelled boxes than this and the image is treated as a picture, not a diagram. */
const MIN_DIAGRAM_NODES = 3;

/**
 * OCR, layout and the catalogue, in that order: pure work, run inside the analysis thread. It
 * stops, when asked, between stages (the decode, detection, each recognition batch, the layout):
 * a model run in progress cannot be interrupted safely.
 */
export async function analyzeImage(ocr: OcrEngine, image: Buffer, { signal, budget }: AnalyzeImageOptions = {}): Promise<ImageAnalysis> {
  const until = budget ? Date.now() + budget.ocrMs : Number.POSITIVE_INFINITY;
  // Decoded once, for the OCR and the layout alike.
  const { data, info } = await sharp(image).flatten({ background: "#ffffff" }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  signal?.throwIfAborted();
  const pixels: RawPixels = { data, width: info.width, height: info.height, channels: info.channels };
  const reading = await ocr.read(pixels, { signal, budget: budget ? { maxLines: budget.maxTextLines, until } : undefined });
  const { texts } = reading;
  const partial = reading.linesRead < reading.linesFound;
  // The step numbers are more recognition: a budget already spent leaves them unread.
  const digits = partial || Date.now() >= until ? [] : await readStepNumbers(ocr, pixels, findStepMarkers(pixels, texts), signal);
  signal?.throwIfAborted();
  const layout = analyzeLayout(pixels, [...texts, ...digits]);
  const components = layout.nodes.map((node) => {
    const match = matchConcept(node.label);
    return {
      node,
      concept: match
        ? { id: match.concept.id, name: match.concept.name, role: match.concept.role, category: match.concept.category, alias: match.alias }
        : null,
    };
  });
  return {
    width: info.width,
    height: info.height,
    texts: [...texts].sort((a, b) => a.box.y - b.box.y || a.box.x - b.box.x),
    layout,
    components,
    isDiagram: layout.nodes.length >= MIN_DIAGRAM_NODES,
    colours: dominantColours(data, info.channels),
    ...(partial ? { partialRead: { linesFound: reading.linesFound, linesRead: reading.linesRead } } : {}),
  };
}

const CIRCLED_DIGITS = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳";

/**
 * Step markers are white digits in dark circles, which text detection misses; the layout finds
 * the circles and each one's centre is read on its own, inverted to dark on light. The digits go
 * back to the layout as text boxes on their markers.
 */
async function readStepNumbers(ocr: OcrEngine, image: RawPixels, markers: Box[], signal?: AbortSignal): Promise<TextBox[]> {
  const centres = markers.map((marker) => {
    const inset = marker.width * 0.2;
    return { x: marker.x + inset, y: marker.y + inset, width: marker.width - 2 * inset, height: marker.height - 2 * inset };
  });
  const reads = markers.length ? await ocr.readLines(image, centres, { invert: true, only: "0123456789", signal }) : [];
  return reads.flatMap((read, index) => {
    const number = read ? parseStepNumber(read.text) : Number.NaN;
    return Number.isFinite(number) ? [{ text: String(number), confidence: read!.confidence, box: markers[index]! }] : [];
  });
}

export function parseStepNumber(text: string): number {
  const trimmed = text.trim();
  const circled = trimmed.length === 1 ? CIRCLED_DIGITS.indexOf(trimmed) : -1;
  if (circled >= 0) return circled + 1;
  return /^\d{1,2}$/.test(trimmed) ? Number(trimmed) : Number.NaN;
}

/** The image's main colours, from a coarse histogram (4 bits a channel) of its pixels. */
function dominantColours(data: Buffer, channels: number): Array<{ hex: string; share: number }> {
  const counts = new Uint32Array(4096);
  const pixels = data.length / channels;
  // Every 7th pixel is plenty for a histogram and keeps a 3072² image fast.
  for (let pixel = 0; pixel < pixels; pixel += 7) {
    const offset = pixel * channels;
    counts[((data[offset]! >> 4) << 8) | ((data[offset + 1]! >> 4) << 4) | (data[offset + 2]! >> 4)]!++;
  }
  const sampled = Math.ceil(pixels / 7);
  return [...counts.keys()]
    .filter((key) => counts[key]! > 0)
    .sort((a, b) => counts[b]! - counts[a]!)
    .slice(0, 5)
    .map((key) => ({
      hex: `#${[key >> 8, (key >> 4) & 15, key & 15].map((nibble) => ((nibble << 4) | 8).toString(16).padStart(2, "0")).join("")}`,
      share: counts[key]! / sampled,
    }));
}
