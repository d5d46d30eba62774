import { beforeAll, describe, expect, it } from "vitest";
import { analyzeLayout } from "@/lib/offline/layout";
import type { DiagramLayout } from "@/lib/offline/types";
import { render, textBoxes, type Diagram } from "@/tests/offline/layout/diagrams";

/**
 * Columns titled above their tiles ("Ingest" over one tile, "Serve" over a tile holding two
 * services), as solution-idea diagrams draw them, and a service outside any column.
 */
const COLUMNS: Diagram = {
  width: 900,
  height: 360,
  shapes: [
    `<rect x="40" y="60" width="200" height="200" fill="#f2f2f2"/>`,
    `<rect x="105" y="100" width="70" height="60" rx="8" fill="#0078d4"/>`,
    `<rect x="300" y="60" width="400" height="200" fill="#f2f2f2"/>`,
    `<rect x="360" y="100" width="70" height="60" rx="8" fill="#5c2d91"/>`,
    `<polygon points="570,100 630,100 648,130 630,160 570,160 552,130" fill="#e81123"/>`,
    `<rect x="790" y="100" width="70" height="60" rx="8" fill="#107c10"/>`,
  ].join(""),
  labels: [
    { text: "Ingest", x: 42, y: 50, size: 17 },
    { text: "Serve", x: 302, y: 50, size: 17 },
    { text: "Data Factory", x: 90, y: 195 },
    { text: "Synapse", x: 362, y: 195 },
    { text: "Power BI", x: 565, y: 195 },
    { text: "Apps", x: 805, y: 195 },
  ],
};

describe("analyzeLayout: headers written above their box", () => {
  let layout: DiagramLayout;
  beforeAll(async () => {
    layout = analyzeLayout(await render(COLUMNS), textBoxes(COLUMNS));
  });

  const groupOf = (label: string) => {
    const node = layout.nodes.find((n) => n.label === label);
    if (!node) throw new Error(`no node "${label}" in ${layout.nodes.map((n) => n.label).join(", ")}`);
    return layout.containers.find((c) => c.id === node.containerId)?.title ?? null;
  };

  it("titles each column's box with the text right above it", () => {
    expect(layout.containers.map((c) => c.title).sort()).toEqual(["Ingest", "Serve"]);
    expect(groupOf("Data Factory")).toBe("Ingest");
    expect(groupOf("Synapse")).toBe("Serve");
    expect(groupOf("Power BI")).toBe("Serve");
  });

  it("leaves a service outside the columns in no group", () => {
    expect(groupOf("Apps")).toBeNull();
    expect(layout.title).toBeNull();
  });
});
