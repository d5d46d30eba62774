import { describe, expect, it } from "vitest";
import { analyzeLayout } from "@/lib/offline/layout";
import { box, render, stepCircle, textBoxes, type Diagram } from "@/tests/offline/layout/diagrams";

/** A group numbered by a step circle on its frame's corner, its components well inside. */
const NUMBERED_GROUP: Diagram = {
  width: 800,
  height: 400,
  shapes: [
    `<rect x="60" y="60" width="640" height="280" fill="none" stroke="#1565c0" stroke-width="2"/>`,
    box(140, 170, 180, 70),
    box(440, 170, 180, 70),
    stepCircle(60, 60, "2"),
  ].join(""),
  labels: [
    { text: "Model Training", x: 300, y: 96, size: 18, weight: "bold" },
    { text: "Prepare Data", x: 180, y: 210 },
    { text: "Train Model", x: 485, y: 210 },
  ],
};

describe("analyzeLayout: steps on a group's frame", () => {
  it("numbers the group, not its nearest component", async () => {
    const digit = { text: "2", confidence: 0.9, box: { x: 55, y: 52, width: 10, height: 16 } };
    const layout = analyzeLayout(await render(NUMBERED_GROUP), [...textBoxes(NUMBERED_GROUP), digit]);
    const group = layout.containers.find((c) => c.title === "Model Training")!;
    expect(layout.steps.map((step) => [step.number, step.nodeId, step.containerId])).toEqual([[2, null, group.id]]);
  });
});
