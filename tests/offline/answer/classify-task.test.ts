import { describe, expect, it } from "vitest";
import { classifyTask, type TaskKind } from "@/lib/offline/answer/classify-task";
import { MAX_PROMPT_CHARS } from "@/lib/shared/limits";

describe("classifyTask", () => {
  it.each<[string, TaskKind]>([
    ["Explain this architecture", "explain"],
    ["Describe the diagram", "explain"],
    ["Walk me through the data flow", "explain"],
    ["Give me an overview", "explain"],
    ["Summarize this", "explain"],
    ["What is this?", "explain"],
    ["What does this diagram show?", "explain"],
    ["How does this pipeline work?", "explain"],
    ["List every component and its role", "list"],
    ["Enumerate the services", "list"],
    ["Which services are used?", "list"],
    ["Put all of the components in a table", "list"],
    ["Redraw as a Mermaid diagram", "mermaid"],
    ["Find single points of failure", "judgement"],
    ["What are the security risks?", "judgement"],
    ["How would you improve this?", "judgement"],
    ["Will this scale to 10k requests per second?", "judgement"],
    ["Estimate the monthly cost", "judgement"],
    ["what colour is the car?", "other"],
    ["Translate the labels to French", "other"],
  ])("%j → %s", (task, kind) => {
    expect(classifyTask(task, false)).toBe(kind);
  });

  it("gives a question naming a component that component's story", () => {
    expect(classifyTask("What does Kinesis Streams do?", true)).toBe("component");
    expect(classifyTask("Tell me about API Gateway", true)).toBe("component");
    expect(classifyTask("Amazon S3?", true)).toBe("component");
  });

  it("lets the task's verb win over a component it names", () => {
    expect(classifyTask("Explain this architecture, especially API Gateway", true)).toBe("explain");
    expect(classifyTask("List every component connected to Amazon S3", true)).toBe("list");
    expect(classifyTask("Draw Amazon S3 and its neighbours in Mermaid", true)).toBe("mermaid");
    expect(classifyTask("Is API Gateway a single point of failure?", true)).toBe("judgement");
  });

  it("does not care about case", () => {
    expect(classifyTask("EXPLAIN THIS", false)).toBe("explain");
    expect(classifyTask("mermaid please", false)).toBe("mermaid");
  });

  it.each([
    "What does the API Gateway do?",
    "What is the Amazon S3 bucket used for?",
    "What is stored in the Orders table?",
  ])("gives %j, which names a component, that component's story", (task) => {
    expect(classifyTask(task, true)).toBe("component");
  });
});

describe("classifyTask: hostile tasks", () => {
  /** Tasks of the longest length allowed, built around each pattern's repeated or optional parts. */
  const hostile = (chars: number) => [
    " ".repeat(chars),
    `as${" ".repeat(chars - 3)}x`,
    "in a ".repeat(chars / 5),
    `every${" ".repeat(chars / 2)}of${" ".repeat(chars / 2 - 8)}x`,
    "which of the ".repeat(chars / 13),
    `walk${" ".repeat(chars / 2)}me${" ".repeat(chars / 2 - 7)}x`,
    "walk me ".repeat(chars / 8),
    `secur${"e".repeat(chars - 5)}`,
    "scalx".repeat(chars / 5),
    "single points of ".repeat(chars / 17),
    "what is ".repeat(chars / 8),
    "best practices ".repeat(chars / 15),
    "x".repeat(chars),
  ];

  // Timed, as a regular expression's work cannot be counted from outside; the patterns have no
  // nested repetition, so these take microseconds, and the bound only has to catch backtracking
  // that grows with the square (or worse) of the length, on a loaded machine.
  it("sorts tasks of the longest length allowed in bounded time", () => {
    const started = performance.now();
    for (const task of hostile(MAX_PROMPT_CHARS)) {
      for (const mentions of [true, false]) classifyTask(task, mentions);
    }
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it("sorts them as it sorts their short versions", () => {
    const long = hostile(MAX_PROMPT_CHARS).map((task) => classifyTask(task, false));
    const short = hostile(200).map((task) => classifyTask(task, false));
    expect(long).toEqual(short);
  });
});
