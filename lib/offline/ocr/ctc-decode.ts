import "server-only";
/**
 * Greedy CTC decoding of the PP-OCR recogniser's output: at each time step the most likely class;
 * repeats and blanks collapse. The rules follow ppu-paddle-ocr's decoder (MIT), which the analyzer
 * used before it ran recognition itself, so the text reads as it did: a space is put back where
 * the gap between two characters is well above their usual spacing (the model drops most spaces:
 * "APIGateway"), and full-width ASCII becomes ASCII.
 */

export interface DecodedLine {
  text: string;
  /** The mean probability of the characters read. */
  confidence: number;
}

/** Class 0 is CTC's blank. */
const BLANK = 0;
/**
 * A gap reads as a space when it exceeds the line's median step between characters by this many
 * times the smallest step: less between a letter and a digit, more between two letters.
 */
const GAP_BETWEEN_KINDS = 1.5;
const GAP_WITHIN_KIND = 2.5;
const CJK = /[\u2E80-\u9FFF\uAC00-\uD7AF\uF900-\uFAFF]/;

/**
 * Decodes one line from `probabilities`, `steps` rows of `classes` values starting at `offset`.
 * `dictionary[c]` is the character of class c: a blank first, a space last. With `only` (class
 * numbers), wherever the model sees a character it is read as the likeliest of those: a step
 * marker holds digits, and a bold "2" alone in a circle can look more like an "N" to the model.
 */
export function decodeCtc(
  probabilities: Float32Array,
  offset: number,
  steps: number,
  classes: number,
  dictionary: readonly string[],
  only?: readonly number[],
): DecodedLine {
  const best = new Int32Array(steps);
  const confidence = new Float32Array(steps);
  for (let step = 0; step < steps; step++) {
    const row = offset + step * classes;
    best[step] = likeliest(probabilities, row, classes);
    if (best[step] !== BLANK && only) best[step] = only.reduce((a, b) => (probabilities[row + b]! > probabilities[row + a]! ? b : a));
    // Read within `only`, the character's identity is forced: what is left to trust is that
    // there is a character at all.
    confidence[step] = only ? 1 - probabilities[row + BLANK]! : probabilities[row + best[step]!]!;
  }
  return decodeBestPath(best, confidence, dictionary);
}

/**
 * Decodes one line from its best path: the class read at each time step and how likely it is
 * (the model can compute these itself, see model-prep/best-class-outputs.ts).
 */
export function decodeBestPath(best: ArrayLike<number>, confidence: ArrayLike<number>, dictionary: readonly string[]): DecodedLine {
  const characters: string[] = [];
  const positions: number[] = [];
  let confidenceSum = 0;
  let previous = -1;
  for (let step = 0; step < best.length; step++) {
    const current = best[step]!;
    if (current !== BLANK && current !== previous && current < dictionary.length) {
      characters.push(dictionary[current]!);
      positions.push(step);
      confidenceSum += confidence[step]!;
    }
    previous = current;
  }
  const mean = characters.length ? confidenceSum / characters.length : 0;
  insertGapSpaces(characters, positions);
  return { text: normalise(characters), confidence: mean };
}

/** The class with the highest probability in `row`. */
function likeliest(probabilities: Float32Array, row: number, classes: number): number {
  let best = 0;
  for (let index = 1; index < classes; index++) if (probabilities[row + index]! > probabilities[row + best]!) best = index;
  return best;
}

/** Puts a space where two characters stand much further apart than the line's usual spacing. */
function insertGapSpaces(characters: string[], positions: number[]): void {
  if (characters.length < 4) return;
  const steps = positions.slice(1).map((position, index) => position - positions[index]!);
  const sorted = [...steps].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  const quantum = sorted.find((step) => step > 0) ?? 0;
  if (median <= 0 || quantum <= 0) return;
  for (let index = characters.length - 1; index >= 1; index--) {
    const [before, after] = [characters[index - 1]!, characters[index]!];
    const allowed = kind(before) === kind(after) ? GAP_WITHIN_KIND : GAP_BETWEEN_KINDS;
    if (positions[index]! - positions[index - 1]! > median + allowed * quantum && before !== " " && after !== " " && before !== after) {
      characters.splice(index, 0, " ");
      positions.splice(index, 0, (positions[index - 1]! + positions[index]!) / 2);
    }
  }
}

function kind(character: string): number {
  if (/\p{L}/u.test(character)) return 0;
  if (/\p{N}/u.test(character)) return 1;
  return 2;
}

/** One space at most between words; full-width forms as ASCII unless the line is CJK. */
function normalise(characters: string[]): string {
  const text = characters.join("").replace(/ {2,}/g, " ");
  if (CJK.test(text)) return text;
  return text.replace(/[\uFF01-\uFF5E]/g, (character) => String.fromCharCode(character.charCodeAt(0) - 0xfee0)).replace(/\u3000/g, " ");
}
