import { describe, expect, it } from "vitest";
import { analyzeLayout } from "@/lib/offline/layout";
import { render, textBoxes, type Diagram } from "@/tests/offline/layout/diagrams";

/** Text in outlines that are no rectangles: one shape's caption, and the same words three times over. */
const POCKETS: Diagram = {
  width: 900,
  height: 300,
  shapes: [
    `<ellipse cx="120" cy="150" rx="48" ry="28" fill="none" stroke="#455a64" stroke-width="2"/>`,
    `<ellipse cx="340" cy="150" rx="38" ry="26" fill="none" stroke="#455a64" stroke-width="2"/>`,
    `<ellipse cx="560" cy="150" rx="38" ry="26" fill="none" stroke="#455a64" stroke-width="2"/>`,
    `<ellipse cx="780" cy="150" rx="38" ry="26" fill="none" stroke="#455a64" stroke-width="2"/>`,
  ].join(""),
  labels: [
    { text: "Cache", x: 96, y: 156 },
    { text: "Uses", x: 322, y: 156 },
    { text: "Uses", x: 542, y: 156 },
    { text: "Uses", x: 762, y: 156 },
  ],
};

describe("analyzeLayout: the same words in several pockets", () => {
  it("reads words written three times over as labels, not as components", async () => {
    const layout = analyzeLayout(await render(POCKETS), textBoxes(POCKETS));
    expect(layout.nodes.map((node) => node.label)).toEqual(["Cache"]);
    expect(layout.notes.map((note) => note.text)).toEqual(["Uses", "Uses", "Uses"]);
  });
});
