import { beforeAll, describe, expect, it } from "vitest";
import { analyzeLayout } from "@/lib/offline/layout";
import type { DiagramLayout } from "@/lib/offline/types";
import { arrow, box, render, textBoxes, type Diagram } from "@/tests/offline/layout/diagrams";

/** A dashed stage frame, as cloud reference diagrams draw them: a bold title and components inside. */
function stage(x: number, y: number, w: number, h: number): string {
  return `<rect x="${x}" y="${y}" width="${w}" height="${h}" fill="none" stroke="#666666" stroke-width="1.5" stroke-dasharray="5 5"/>`;
}

/**
 * Three stages drawn as dashed frames, each holding two components; short arrows run from frame
 * to frame, not from component to component, and a source outside points at the first frame.
 */
const STAGES: Diagram = {
  width: 1100,
  height: 480,
  shapes: [
    box(20, 200, 130, 60),
    stage(200, 60, 240, 380),
    box(230, 140, 180, 60),
    box(230, 300, 180, 60),
    stage(500, 60, 240, 380),
    box(530, 140, 180, 60),
    box(530, 300, 180, 60),
    stage(800, 60, 240, 380),
    box(830, 140, 180, 60),
    box(830, 300, 180, 60),
    arrow(152, 230, 198, 230),
    arrow(444, 250, 496, 250),
    arrow(744, 250, 796, 250),
  ].join(""),
  labels: [
    { text: "Devices", x: 40, y: 236 },
    { text: "Ingestion", x: 220, y: 96, size: 18, weight: "bold" },
    { text: "Event Hubs", x: 260, y: 176 },
    { text: "Functions", x: 270, y: 336 },
    { text: "Storage", x: 520, y: 96, size: 18, weight: "bold" },
    { text: "Data Lake", x: 570, y: 176 },
    { text: "Cosmos DB", x: 565, y: 336 },
    { text: "Serving", x: 820, y: 96, size: 18, weight: "bold" },
    { text: "Power BI", x: 875, y: 176 },
    { text: "Web App", x: 875, y: 336 },
  ],
};

/** A tile behind one component (an icon's grey square) is that component: arrows between tiles join the components. */
const TILES: Diagram = {
  width: 760,
  height: 320,
  shapes: [
    `<rect x="40" y="60" width="240" height="200" fill="#f2f2f2"/>`,
    box(80, 130, 160, 60),
    `<rect x="420" y="60" width="240" height="200" fill="#f2f2f2"/>`,
    box(460, 130, 160, 60),
    arrow(284, 160, 416, 160),
  ].join(""),
  labels: [
    { text: "Ingest", x: 40, y: 40, size: 16 },
    { text: "Data Factory", x: 100, y: 166 },
    { text: "Store", x: 420, y: 40, size: 16 },
    { text: "Data Lake", x: 500, y: 166 },
  ],
};

const name = (layout: DiagramLayout, id: string) => layout.nodes.find((n) => n.id === id)?.label ?? layout.containers.find((c) => c.id === id)?.title ?? id;
const arrows = (layout: DiagramLayout) => layout.connections.map((c) => `${name(layout, c.from)} → ${name(layout, c.to)}`).sort();

describe("analyzeLayout: arrows to a group's frame", () => {
  let stages: DiagramLayout;
  beforeAll(async () => {
    stages = analyzeLayout(await render(STAGES), textBoxes(STAGES));
  });

  it("reads each stage as a group around its two components", () => {
    expect(stages.containers.map((c) => c.title)).toEqual(["Ingestion", "Storage", "Serving"]);
  });

  it("joins the groups an arrow runs between, and a component to the group it points at", () => {
    expect(arrows(stages)).toEqual(["Devices → Ingestion", "Ingestion → Storage", "Storage → Serving"]);
  });

  it("reads an arrow between tiles of one component each as an arrow between the components", async () => {
    const tiles = analyzeLayout(await render(TILES), textBoxes(TILES));
    expect(arrows(tiles)).toEqual(["Data Factory → Data Lake"]);
  });
});
