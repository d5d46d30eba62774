import { describe, expect, it } from "vitest";
import { analyzeLayout } from "@/lib/offline/layout";
import type { TextBox } from "@/lib/offline/types";
import { arrow, box, render, stepCircle, textBoxes, type Diagram } from "@/tests/offline/layout/diagrams";

/** Two services drawn as icons with captions, no boxes, joined by an arrow. */
const ICON_ARROW: Diagram = {
  width: 760,
  height: 300,
  shapes: [
    `<rect x="95" y="70" width="70" height="62" rx="8" fill="#0078d4"/>`,
    `<polygon points="575,70 635,70 653,101 635,132 575,132 557,101" fill="#e81123"/>`,
    arrow(182, 101, 548, 101),
  ].join(""),
  labels: [
    { text: "Event Hubs", x: 82, y: 165 },
    { text: "Stream Analytics", x: 540, y: 165 },
  ],
};

/**
 * A step circle drawn on the corner of the box it numbers, right by the arrow into another box:
 * the step is the box's, not the arrow's target.
 */
const STEP_ON_BOX: Diagram = {
  width: 760,
  height: 300,
  shapes: [box(60, 110, 180, 70), box(520, 110, 180, 70), arrow(240, 145, 520, 145), stepCircle(246, 112, "1")].join(""),
  labels: [
    { text: "Ingestion", x: 100, y: 150 },
    { text: "Warehouse", x: 560, y: 150 },
  ],
};

function stepDigit(): TextBox {
  return { text: "1", confidence: 0.9, box: { x: 241, y: 104, width: 10, height: 16 } };
}

/** A step circle in the middle of an arrow, touching neither box: the arrow's step. */
const STEP_ON_ARROW: Diagram = {
  ...STEP_ON_BOX,
  shapes: [box(60, 110, 180, 70), box(520, 110, 180, 70), arrow(240, 145, 520, 145), stepCircle(380, 145, "1")].join(""),
};

describe("analyzeLayout: icons joined by arrows, steps on boxes", () => {
  it("connects two icon components, head end as target", async () => {
    const layout = analyzeLayout(await render(ICON_ARROW), textBoxes(ICON_ARROW));
    const id = (label: string) => layout.nodes.find((node) => node.label === label)!.id;
    expect(layout.connections).toEqual([{ from: id("Event Hubs"), to: id("Stream Analytics") }]);
  });

  it("connects icons when the arrow stops well short of both, as reference diagrams draw it", async () => {
    const spaced = { ...ICON_ARROW, shapes: ICON_ARROW.shapes.replace(arrow(182, 101, 548, 101), arrow(202, 101, 528, 101)) };
    const layout = analyzeLayout(await render(spaced), textBoxes(spaced));
    const id = (label: string) => layout.nodes.find((node) => node.label === label)!.id;
    expect(layout.connections).toEqual([{ from: id("Event Hubs"), to: id("Stream Analytics") }]);
  });

  it("gives a step drawn on a box's corner to that box", async () => {
    const layout = analyzeLayout(await render(STEP_ON_BOX), [...textBoxes(STEP_ON_BOX), stepDigit()]);
    const ingestion = layout.nodes.find((node) => node.label === "Ingestion")!;
    expect(layout.steps.map((step) => [step.number, step.nodeId])).toEqual([[1, ingestion.id]]);
  });

  it("gives a step drawn on an arrow to that arrow, about its target", async () => {
    const digit = { text: "1", confidence: 0.9, box: { x: 375, y: 137, width: 10, height: 16 } };
    const layout = analyzeLayout(await render(STEP_ON_ARROW), [...textBoxes(STEP_ON_ARROW), digit]);
    const id = (label: string) => layout.nodes.find((node) => node.label === label)!.id;
    expect(layout.steps.map((step) => [step.number, step.nodeId, step.connection])).toEqual([
      [1, id("Warehouse"), { from: id("Ingestion"), to: id("Warehouse") }],
    ]);
  });
});
