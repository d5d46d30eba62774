import { beforeAll, describe, expect, it } from "vitest";
import { analyzeLayout } from "@/lib/offline/layout";
import type { DiagramLayout } from "@/lib/offline/types";
import { arrow, render, textBoxes, type Diagram } from "@/tests/offline/layout/diagrams";

/**
 * The reference-architecture style: each service an icon with its caption on a light grey tile
 * (no border, a fill only a dozen steps off white), tiles joined by arrows.
 */
const TILES: Diagram = {
  width: 760,
  height: 300,
  shapes: [
    `<rect x="40" y="60" width="180" height="170" fill="#f2f2f2"/>`,
    `<circle cx="130" cy="120" r="26" fill="#1e88e5"/>`,
    `<rect x="500" y="60" width="200" height="170" fill="#f2f2f2"/>`,
    `<rect x="572" y="94" width="56" height="52" rx="6" fill="#e53935"/>`,
    arrow(225, 145, 495, 145),
  ].join(""),
  labels: [
    { text: "Event Hub", x: 90, y: 190 },
    { text: "Stream Jobs", x: 552, y: 190 },
  ],
};

describe("analyzeLayout: icons on faint grey tiles", () => {
  let layout: DiagramLayout;
  beforeAll(async () => {
    layout = analyzeLayout(await render(TILES), textBoxes(TILES));
  });

  it("takes each tile as the component's box, its caption as the name", () => {
    expect(layout.nodes.map((node) => node.label).sort()).toEqual(["Event Hub", "Stream Jobs"]);
    const hub = layout.nodes.find((node) => node.label === "Event Hub")!;
    expect(hub.box.x).toBeCloseTo(40, -1);
    expect(hub.box.width).toBeCloseTo(180, -1);
    expect(hub.box.height).toBeCloseTo(170, -1);
  });

  it("follows the arrow between the tiles, head end as target", () => {
    const id = (label: string) => layout.nodes.find((node) => node.label === label)!.id;
    expect(layout.connections).toEqual([{ from: id("Event Hub"), to: id("Stream Jobs") }]);
  });
});
