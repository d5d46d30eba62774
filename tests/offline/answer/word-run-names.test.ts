import { describe, expect, it } from "vitest";
import { WordRunNames } from "@/lib/offline/answer/word-run-names";
import { MAX_PROMPT_CHARS } from "@/lib/shared/limits";
import { seededRandom } from "@/tests/helpers/random";

/** The definition, spelled out the slow way: every run of consecutive words, squashed. */
function spelledByEveryRun(text: string, names: string[]): Set<string> {
  const words = text.toLowerCase().split(/[^a-z0-9]+/).filter(Boolean);
  const runs = new Set(words.flatMap((_, start) => words.slice(start).map((__, length) => words.slice(start, start + length + 1).join(""))));
  return new Set(names.filter((name) => runs.has(name)));
}

const spelled = (text: string, names: string[], maxChars?: number) => [...new WordRunNames(names).scan(text, maxChars).names].sort();

describe("WordRunNames", () => {
  it("finds a name spelled over several words, in any case, spacing or punctuation", () => {
    for (const text of ["What does API Gateway do?", "the apigateway", "api-gateway!", "Api Gate Way"]) {
      expect(spelled(text, ["apigateway"])).toEqual(["apigateway"]);
    }
  });

  it("takes whole words only", () => {
    expect(spelled("the API Gateways", ["apigateway"])).toEqual([]);
    expect(spelled("myapi gateway", ["apigateway"])).toEqual([]);
    expect(spelled("S3x and xS3", ["s3"])).toEqual([]);
  });

  it("finds every name, including names inside longer names", () => {
    expect(spelled("Amazon Kinesis Data Streams and Amazon S3", ["amazonkinesisdatastreams", "kinesisdatastreams", "amazons3", "s3", "lambda"])).toEqual([
      "amazonkinesisdatastreams",
      "amazons3",
      "kinesisdatastreams",
      "s3",
    ]);
  });

  it("ignores names that no words can spell", () => {
    expect(spelled("api gateway", ["", "api gateway", "API"])).toEqual([]);
  });

  it("agrees with trying every run of words, on random texts of few letters", () => {
    const random = seededRandom(7);
    const pick = (from: string) => from[Math.floor(random() * from.length)]!;
    for (let round = 0; round < 300; round++) {
      const names = Array.from({ length: 6 }, () => Array.from({ length: 1 + Math.floor(random() * 6) }, () => pick("ab1")).join(""));
      const text = Array.from({ length: Math.floor(random() * 40) }, () => pick("aAb1 -.")).join("");
      expect(spelled(text, names), `${JSON.stringify(text)} ${JSON.stringify(names)}`).toEqual([...spelledByEveryRun(text, names)].sort());
    }
  });

  it("reads no further than the limit, and leaves out a word the limit cuts", () => {
    expect(spelled("x API Gateway", ["apigateway", "api"], 6)).toEqual(["api"]);
    expect(spelled("x API Gateway", ["apigateway", "api", "apigate"], 9)).toEqual(["api"]);
    expect(spelled("x API Gateway", ["apigateway"], 13)).toEqual(["apigateway"]);
    expect(spelled("x API Gateway", ["apigateway"], 12)).toEqual([]);
  });

  describe("takes work in proportion to the text, whatever its words", () => {
    /** Characters, one failure step per character at most, and one step per name ending at each word end. */
    const bound = (text: string, names: string[]) => 2 * text.length + (text.split(/\s+/).length + 1) * names.length;

    // Names that are runs of the same letters: every word end closes one and starts the next.
    const runsOfA = Array.from({ length: 40 }, (_, index) => "a".repeat(index + 3));
    const runsOfAb = Array.from({ length: 40 }, (_, index) => "ab".repeat(index + 2));
    const names = [...runsOfA, ...runsOfAb, "a".repeat(MAX_PROMPT_CHARS)];

    it.each([
      ["a task of one-letter words", "a ".repeat(MAX_PROMPT_CHARS / 2), runsOfA],
      ["a task of one long word", "a".repeat(MAX_PROMPT_CHARS), ["a".repeat(MAX_PROMPT_CHARS)]],
      ["a task of two-letter words", "ab ".repeat(MAX_PROMPT_CHARS / 3), runsOfAb],
    ])("%s", (_, text, expected) => {
      const { names: found, steps } = new WordRunNames(names).scan(text, MAX_PROMPT_CHARS);
      expect(steps).toBeLessThanOrEqual(bound(text, names));
      expect([...found].sort()).toEqual([...expected].sort());
    });

    it("stops at the limit on a text far longer than any task", () => {
      const { steps } = new WordRunNames(["aaa"]).scan("a ".repeat(1_000_000), MAX_PROMPT_CHARS);
      expect(steps).toBeLessThanOrEqual(bound("a ".repeat(MAX_PROMPT_CHARS / 2), ["aaa"]));
    });
  });
});
