import { describe, expect, it } from "vitest";
import { analyzeLayout } from "@/lib/offline/layout";
import { render, textBoxes, type Diagram } from "@/tests/offline/layout/diagrams";

/**
 * Services drawn as an icon with the name under it and no box, the name set well below the icon
 * (about a line and a half of space, as reference architectures leave), and a free note.
 */
const SPACED_ICONS: Diagram = {
  width: 700,
  height: 380,
  shapes: [
    `<rect x="90" y="60" width="70" height="62" rx="8" fill="#0078d4"/>`,
    `<polygon points="390,62 450,62 468,94 450,126 390,126 372,94" fill="#e81123"/><path d="M398 94 L442 94" stroke="#ffffff" stroke-width="6"/>`,
  ].join(""),
  labels: [
    { text: "Blob Storage", x: 74, y: 160, size: 18 },
    { text: "Cosmos DB", x: 373, y: 162, size: 18 },
    { text: "Data is replicated nightly to the secondary region for recovery", x: 40, y: 330, size: 13 },
  ],
};

describe("analyzeLayout: icons with their caption well below", () => {
  it("takes each icon and the caption under it as one component", async () => {
    const layout = analyzeLayout(await render(SPACED_ICONS), textBoxes(SPACED_ICONS));
    expect(layout.nodes.map((node) => node.label).sort()).toEqual(["Blob Storage", "Cosmos DB"]);
    const blob = layout.nodes.find((node) => node.label === "Blob Storage")!;
    // The component reaches up into the icon over its caption.
    expect(blob.box.y).toBeLessThan(80);
    expect(layout.notes.map((note) => note.text)).toEqual(["Data is replicated nightly to the secondary region for recovery"]);
  });
});
