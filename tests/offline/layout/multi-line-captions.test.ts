import { describe, expect, it } from "vitest";
import { analyzeLayout } from "@/lib/offline/layout";
import type { TextBox } from "@/lib/offline/types";
import { render, type Diagram } from "@/tests/offline/layout/diagrams";

/**
 * An icon with a caption wrapped over two lines, as reference diagrams print them: the OCR's
 * boxes hug the glyphs, so the second line ("containers", no capital, no descender) is
 * shorter than the first and the gap between them looks wider than the font's leading.
 */
const CAPTION: Diagram = {
  width: 600,
  height: 360,
  shapes: `<rect x="255" y="60" width="90" height="80" rx="10" fill="#0078d4"/>`,
  labels: [
    { text: "ML model in", x: 248, y: 184, size: 22 },
    { text: "containers", x: 250, y: 218, size: 22 },
  ],
};

function ocrLines(): TextBox[] {
  return [
    { text: "ML model in", confidence: 0.99, box: { x: 248, y: 166, width: 118, height: 22 } },
    { text: "containers", confidence: 0.99, box: { x: 251, y: 206, width: 110, height: 16 } },
  ];
}

describe("analyzeLayout: captions over several lines", () => {
  it("reads the lines of one caption as one component name", async () => {
    const layout = analyzeLayout(await render(CAPTION), ocrLines());
    expect(layout.nodes.map((node) => node.label)).toEqual(["ML model in containers"]);
    expect(layout.notes).toEqual([]);
  });
});
