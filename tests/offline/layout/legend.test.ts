import { beforeAll, describe, expect, it } from "vitest";
import { analyzeLayout } from "@/lib/offline/layout";
import type { DiagramLayout } from "@/lib/offline/types";
import { arrow, box, render, textBoxes, type Diagram } from "@/tests/offline/layout/diagrams";

/** Two components and, in a corner, a legend strip: "Legend:" and the roles its colours stand for. */
const WITH_LEGEND: Diagram = {
  width: 900,
  height: 420,
  shapes: [
    box(80, 100, 180, 70),
    box(560, 100, 180, 70),
    arrow(260, 135, 560, 135),
    `<rect x="60" y="330" width="110" height="40" fill="#000000"/>`,
    `<rect x="170" y="330" width="140" height="40" fill="#0050a0"/>`,
    `<rect x="310" y="330" width="140" height="40" fill="#30b0f0"/>`,
  ].join(""),
  labels: [
    { text: "Feature Store", x: 110, y: 140 },
    { text: "Training Jobs", x: 592, y: 140 },
    { text: "Legend:", x: 70, y: 356, colour: "#ffffff" },
    { text: "Data Engineer", x: 180, y: 356, colour: "#ffffff" },
    { text: "Data Scientist", x: 320, y: 356, colour: "#ffffff" },
  ],
};

describe("analyzeLayout: legends", () => {
  let layout: DiagramLayout;
  beforeAll(async () => {
    layout = analyzeLayout(await render(WITH_LEGEND), textBoxes(WITH_LEGEND));
  });

  it("sets the legend apart from the components and notes", () => {
    expect(layout.nodes.map((node) => node.label).sort()).toEqual(["Feature Store", "Training Jobs"]);
    expect((layout.legend ?? []).map((entry) => entry.text)).toEqual(["Legend:", "Data Engineer", "Data Scientist"]);
    expect(layout.notes).toEqual([]);
  });

  it("links the architecture, not the legend", () => {
    expect(layout.connections).toHaveLength(1);
  });
});
