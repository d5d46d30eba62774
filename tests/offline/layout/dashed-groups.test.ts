import { beforeAll, describe, expect, it } from "vitest";
import { analyzeLayout } from "@/lib/offline/layout";
import type { DiagramLayout } from "@/lib/offline/types";
import { box, render, textBoxes, type Diagram } from "@/tests/offline/layout/diagrams";

/** A system boundary drawn dashed around two components, a third component outside it. */
const BOUNDARY: Diagram = {
  width: 800,
  height: 420,
  shapes: [
    `<rect x="40" y="60" width="480" height="300" fill="none" stroke="#666666" stroke-width="1.5" stroke-dasharray="5 8"/>`,
    box(80, 160, 160, 60),
    box(320, 160, 160, 60),
    box(600, 160, 160, 60),
  ].join(""),
  labels: [
    { text: "Payments System", x: 60, y: 90, size: 18, weight: "bold" },
    { text: "Checkout", x: 110, y: 196 },
    { text: "Ledger", x: 370, y: 196 },
    { text: "Bank", x: 660, y: 196 },
  ],
};

describe("analyzeLayout: dashed boundaries", () => {
  let layout: DiagramLayout;
  beforeAll(async () => {
    layout = analyzeLayout(await render(BOUNDARY), textBoxes(BOUNDARY));
  });

  it("reads a dashed rectangle around components as their group, titled by its top text", () => {
    expect(layout.containers.map((c) => c.title)).toEqual(["Payments System"]);
    const group = layout.containers[0]!;
    expect(group.box.x).toBeCloseTo(40, -1);
    expect(group.box.width).toBeCloseTo(480, -1);
    const inside = layout.nodes.filter((node) => node.containerId === group.id).map((node) => node.label);
    expect(inside.sort()).toEqual(["Checkout", "Ledger"]);
    expect(layout.nodes.find((node) => node.label === "Bank")!.containerId).toBeNull();
  });

  it("does not join two solid boxes side by side into one", () => {
    expect(layout.nodes).toHaveLength(3);
  });
});
