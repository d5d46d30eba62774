import { describe, expect, it } from "vitest";
import { decodeCtc } from "@/lib/offline/ocr/ctc-decode";

/**
 * The decoder on probability matrices written by hand. A tiny dictionary in the recogniser's
 * layout: the blank first, a space last, and in between a letter pair, a digit, the "N" a bold
 * "2" can pass for, a full-width "A" and one CJK character.
 */
const DICTIONARY = ["", "a", "b", "2", "N", "Ａ", "美", " "] as const;
const CLASSES = DICTIONARY.length;
const [BLANK, A, B, TWO, N, FULL_WIDTH_A, CJK, SPACE] = [0, 1, 2, 3, 4, 5, 6, 7];

/** One time step: each listed class's probability, the other classes 0. */
type Step = Record<number, number>;

/** The rows of `steps` as the model writes them: step after step, `CLASSES` values each. */
function matrix(steps: readonly Step[]): Float32Array {
  const values = new Float32Array(steps.length * CLASSES);
  steps.forEach((step, index) => {
    for (const [kind, probability] of Object.entries(step)) values[index * CLASSES + Number(kind)] = probability;
  });
  return values;
}

/** A step where `kind` is the likeliest class at `probability`. */
const see = (kind: number, probability = 0.9): Step => ({ [kind]: probability });
const blank = (probability = 0.9): Step => ({ [BLANK]: probability });

/** The steps of characters placed at the given step numbers, blanks everywhere else. */
function placed(characters: ReadonlyArray<readonly [step: number, kind: number]>, length: number): Step[] {
  const steps = Array.from({ length }, () => blank());
  for (const [step, kind] of characters) steps[step] = see(kind);
  return steps;
}

function decode(steps: readonly Step[], only?: readonly number[]) {
  return decodeCtc(matrix(steps), 0, steps.length, CLASSES, DICTIONARY, only);
}

describe("decodeCtc: greedy CTC", () => {
  it("reads the likeliest class at each step and skips the blanks", () => {
    expect(decode([blank(), see(A), blank(), see(B), blank()]).text).toBe("ab");
  });

  it("collapses a class repeated over consecutive steps into one character", () => {
    expect(decode([see(A), see(A), see(A), see(B), see(B)]).text).toBe("ab");
  });

  it("keeps a repeated character when a blank separates the repeats", () => {
    // CTC's only way to write "aa": without the blank it would be one "a" held longer.
    expect(decode([see(A), see(A), blank(), see(A), see(B)]).text).toBe("aab");
  });

  it("reads nothing from a line of blanks, with confidence 0", () => {
    expect(decode([blank(), blank(), blank()])).toEqual({ text: "", confidence: 0 });
  });

  it("ignores a class the dictionary has no character for", () => {
    // The model's output can be wider than the dictionary; such a class must not print "undefined".
    // Nor count toward the confidence.
    const probabilities = new Float32Array(3 * (CLASSES + 1));
    probabilities[0 * (CLASSES + 1) + A] = 0.9;
    probabilities[1 * (CLASSES + 1) + CLASSES] = 0.3;
    probabilities[2 * (CLASSES + 1) + B] = 0.7;
    const { text, confidence } = decodeCtc(probabilities, 0, 3, CLASSES + 1, DICTIONARY);
    expect(text).toBe("ab");
    expect(confidence).toBeCloseTo(0.8, 6);
  });
});

describe("decodeCtc: confidence", () => {
  it("is the mean of the emitted characters' probabilities", () => {
    const { text, confidence } = decode([see(A, 0.9), blank(), see(B, 0.6), blank(), see(TWO, 0.75)]);
    expect(text).toBe("ab2");
    expect(confidence).toBeCloseTo((0.9 + 0.6 + 0.75) / 3, 6);
  });

  it("counts a character held over several steps once, at its first step", () => {
    // The later, surer steps of the same "a" do not raise the line's confidence.
    const { text, confidence } = decode([see(A, 0.5), see(A, 0.99), see(A, 0.99), see(B, 0.7)]);
    expect(text).toBe("ab");
    expect(confidence).toBeCloseTo((0.5 + 0.7) / 2, 6);
  });

  it("leaves blank steps out of the mean", () => {
    const { confidence } = decode([blank(0.99), see(A, 0.6), blank(0.2), blank(0.99)]);
    expect(confidence).toBeCloseTo(0.6, 6);
  });
});

describe("decodeCtc: spaces from gaps", () => {
  // Characters two steps apart, so the line's median spacing and its smallest step are both 2:
  // between two letters a gap above 2 + 2.5·2 = 7 is a space, between a letter and a digit one
  // above 2 + 1.5·2 = 5.

  it("puts a space where two letters stand much further apart than usual", () => {
    const steps = placed([[0, A], [2, B], [4, A], [12, B], [14, A]], 16);
    expect(decode(steps).text).toBe("aba ba");
  });

  it("puts no space at a gap between letters up to the threshold", () => {
    const steps = placed([[0, A], [2, B], [4, A], [11, B], [13, A]], 16);
    expect(decode(steps).text).toBe("ababa");
  });

  it("splits a letter from a digit at a smaller gap than two letters", () => {
    // The same gap of 6 steps: a space before the digit, none between two letters.
    expect(decode(placed([[0, A], [2, B], [4, A], [10, TWO], [12, N]], 14)).text).toBe("aba 2N");
    expect(decode(placed([[0, A], [2, B], [4, A], [10, B], [12, N]], 14)).text).toBe("ababN");
  });

  it("puts a space at every wide gap in the line", () => {
    const steps = placed([[0, A], [2, B], [12, A], [14, B], [24, A], [26, B]], 28);
    expect(decode(steps).text).toBe("ab ab ab");
  });

  it("adds no space to a line of three characters, however uneven its spacing", () => {
    // Two gaps are too few to tell the usual spacing from a word break: "ab" then a far "a".
    expect(decode(placed([[0, A], [2, B], [20, A]], 22)).text).toBe("aba");
  });

  it("keeps one space at a wide gap where the model read a space itself", () => {
    const steps = placed([[0, A], [2, B], [4, A], [12, SPACE], [20, B], [22, A]], 24);
    expect(decode(steps).text).toBe("aba ba");
  });

  it("does not split a doubled character at a wide gap", () => {
    // As ppu-paddle-ocr's decoder does: the gap between two of the same character is more
    // likely a character held long than a word break.
    const steps = placed([[0, A], [2, B], [4, A], [14, A], [16, B]], 18);
    expect(decode(steps).text).toBe("abaab");
  });
});

describe("decodeCtc: normalising the text", () => {
  it("collapses two spaces the model read in a row into one", () => {
    expect(decode([see(A), see(SPACE), blank(), see(SPACE), see(B)]).text).toBe("a b");
  });

  it("turns full-width ASCII into ASCII on a line without CJK", () => {
    expect(decode([see(FULL_WIDTH_A), blank(), see(B)]).text).toBe("Ab");
  });

  it("keeps full-width forms on a line with CJK", () => {
    expect(decode([see(FULL_WIDTH_A), blank(), see(CJK)]).text).toBe("Ａ美");
  });
});

describe("decodeCtc: reading within `only`", () => {
  /** A step the model reads as "N", with "2" second and some blank. */
  const nOverTwo: Step = { [BLANK]: 0.1, [N]: 0.6, [TWO]: 0.3 };

  it("reads the unconstrained argmax without `only`", () => {
    const { text, confidence } = decode([nOverTwo]);
    expect(text).toBe("N");
    expect(confidence).toBeCloseTo(0.6, 6);
  });

  it("reads the likeliest of the allowed classes where the model sees a character", () => {
    const { text, confidence } = decode([blank(), nOverTwo, blank()], [TWO]);
    expect(text).toBe("2");
    // Not p("2") = 0.3: what `only` leaves to trust is that there is a character, 1 − p(blank).
    expect(confidence).toBeCloseTo(0.9, 6);
  });

  it("chooses among several allowed classes by their probabilities", () => {
    const step: Step = { [BLANK]: 0.05, [N]: 0.5, [TWO]: 0.15, [A]: 0.3 };
    expect(decode([step], [TWO, A]).text).toBe("a");
    expect(decode([step], [A, TWO]).text).toBe("a");
  });

  it("reads nothing where the blank is the likeliest, however likely an allowed class", () => {
    expect(decode([{ [BLANK]: 0.5, [TWO]: 0.45 }, blank()], [TWO])).toEqual({ text: "", confidence: 0 });
  });

  it("collapses steps that read as the same allowed class", () => {
    // "N" then "2" both become "2": one character held over two steps, not "22".
    const { text, confidence } = decode([nOverTwo, { [BLANK]: 0.2, [TWO]: 0.8 }], [TWO]);
    expect(text).toBe("2");
    expect(confidence).toBeCloseTo(0.9, 6);
  });
});

describe("decodeCtc: offset", () => {
  it("decodes the second line of a batch from its offset", () => {
    // Two lines of three steps each in one output: "ab" then "2N".
    const first = [see(A, 0.9), blank(), see(B, 0.9)];
    const second = [see(TWO, 0.8), blank(), see(N, 0.6)];
    const probabilities = matrix([...first, ...second]);
    expect(decodeCtc(probabilities, 0, 3, CLASSES, DICTIONARY).text).toBe("ab");
    const line = decodeCtc(probabilities, 3 * CLASSES, 3, CLASSES, DICTIONARY);
    expect(line.text).toBe("2N");
    expect(line.confidence).toBeCloseTo(0.7, 6);
  });
});
