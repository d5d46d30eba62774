import { describe, expect, it } from "vitest";
import { classifyTask, type TaskKind } from "@/lib/offline/answer/classify-task";

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
