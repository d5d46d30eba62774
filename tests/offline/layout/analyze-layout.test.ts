import { beforeAll, describe, expect, it } from "vitest";
import { analyzeLayout, findStepMarkers, type RawPixels } from "@/lib/offline/layout";
import type { DiagramLayout, TextBox } from "@/lib/offline/types";
import { render, textBoxes } from "@/tests/offline/layout/diagrams";
import { FILLED, ICONS, NESTED } from "@/tests/offline/layout/fixtures";

/** What the OCR reports for the step circle's digit when it does read it. */
function stepDigit(scale = 1): TextBox {
  return { text: "1", confidence: 0.9, box: { x: 382 * scale, y: 277 * scale, width: 10 * scale, height: 16 * scale } };
}

function nodeByLabel(layout: DiagramLayout, label: string) {
  const node = layout.nodes.find((n) => n.label === label);
  if (!node) throw new Error(`no node "${label}" in ${layout.nodes.map((n) => n.label).join(", ")}`);
  return node;
}

function containerOf(layout: DiagramLayout, label: string): string | null {
  const id = nodeByLabel(layout, label).containerId;
  return id === null ? null : layout.containers.find((c) => c.id === id)!.title;
}

describe("analyzeLayout: nested groups", () => {
  let layout: DiagramLayout;
  beforeAll(async () => {
    layout = analyzeLayout(await render(NESTED), [...textBoxes(NESTED), stepDigit()]);
  });

  it("finds the group boxes with their titles and nesting", () => {
    const byTitle = Object.fromEntries(layout.containers.map((c) => [c.title, c]));
    expect(Object.keys(byTitle).sort()).toEqual(["Cloud", "Ingestion", "Storage"]);
    expect(byTitle.Cloud!.parentId).toBeNull();
    expect(byTitle.Ingestion!.parentId).toBe(byTitle.Cloud!.id);
    expect(byTitle.Storage!.parentId).toBe(byTitle.Cloud!.id);
    // The dashed group's box is the drawn one, give or take its border.
    expect(byTitle.Cloud!.box.x).toBeCloseTo(200, -1);
    expect(byTitle.Cloud!.box.width).toBeCloseTo(780, -1);
  });

  it("puts each component in the smallest group around it", () => {
    expect(containerOf(layout, "API Gateway")).toBe("Ingestion");
    expect(containerOf(layout, "Lambda Functions")).toBe("Ingestion");
    expect(containerOf(layout, "Amazon S3")).toBe("Storage");
    expect(containerOf(layout, "Users")).toBeNull();
  });

  it("joins the lines of one box into one label", () => {
    expect(containerOf(layout, "Data Lake Archive Tier")).toBe("Storage");
    expect(layout.nodes.map((n) => n.label)).not.toContain("Data Lake");
  });

  it("reads the title apart from the components", () => {
    expect(layout.title).toBe("Test Pipeline");
    expect(layout.nodes).toHaveLength(5);
    expect(layout.width).toBe(1000);
    expect(layout.height).toBe(600);
  });

  it("numbers the step circle from the digit read on it, and ties it to the arrow's target", () => {
    expect(layout.steps).toHaveLength(1);
    const [step] = layout.steps;
    expect(step!.number).toBe(1);
    expect(step!.box.x).toBeCloseTo(376, -1);
    expect(step!.nodeId).toBe(nodeByLabel(layout, "Lambda Functions").id);
  });

  it("orders the stepped component first, the rest in reading order", () => {
    expect(layout.nodes.map((n) => n.label)).toEqual([
      "Lambda Functions",
      "Users",
      "API Gateway",
      "Amazon S3",
      "Data Lake Archive Tier",
    ]);
    expect(layout.nodes.map((n) => n.id)).toEqual(["n1", "n2", "n3", "n4", "n5"]);
  });

  it("follows arrows across group borders, head end as target, with the arrow's label", () => {
    const id = (label: string) => nodeByLabel(layout, label).id;
    expect(layout.connections).toContainEqual({ from: id("Users"), to: id("API Gateway"), label: "HTTPS" });
    expect(layout.connections).toContainEqual({ from: id("API Gateway"), to: id("Lambda Functions") });
    expect(layout.connections).toContainEqual({ from: id("Lambda Functions"), to: id("Amazon S3") });
    expect(layout.connections).toHaveLength(3);
    expect(layout.notes).toEqual([]);
  });

  it("finds the same groups in a larger rendering, in that rendering's pixels", async () => {
    const big = analyzeLayout(await render(NESTED, 2000), [...textBoxes(NESTED, 2000), stepDigit(2)]);
    expect(big.containers.map((c) => c.title).sort()).toEqual(["Cloud", "Ingestion", "Storage"]);
    expect(containerOf(big, "API Gateway")).toBe("Ingestion");
    expect(containerOf(big, "Amazon S3")).toBe("Storage");
    expect(nodeByLabel(big, "Amazon S3").box.x).toBeCloseTo(1280, -1);
    expect(big.steps.map((s) => s.number)).toEqual([1]);
  });
});

describe("analyzeLayout: step circles without a digit read", () => {
  let pixels: RawPixels;
  beforeAll(async () => {
    pixels = await render(NESTED);
  });

  it("leaves unread markers out of the steps", () => {
    expect(analyzeLayout(pixels, textBoxes(NESTED)).steps).toEqual([]);
  });

  it("reports where the markers are, so the caller can read their digits", () => {
    const markers = findStepMarkers(pixels, textBoxes(NESTED));
    expect(markers).toHaveLength(1);
    expect(markers[0]!.x).toBeCloseTo(376, -1);
    expect(markers[0]!.y).toBeCloseTo(273, -1);
    expect(markers[0]!.width).toBeGreaterThanOrEqual(22);
    expect(markers[0]!.width).toBeLessThanOrEqual(28);
  });
});

describe("analyzeLayout: filled boxes with white text", () => {
  let layout: DiagramLayout;
  beforeAll(async () => {
    layout = analyzeLayout(await render(FILLED), textBoxes(FILLED));
  });

  it("finds the columns and their components without any borders on the boxes", () => {
    expect(layout.containers.map((c) => c.title)).toEqual(["Sources", "Ingest", "Store"]);
    expect(containerOf(layout, "IoT Sensors")).toBe("Sources");
    expect(containerOf(layout, "Partner APIs")).toBe("Sources");
    expect(containerOf(layout, "Pub/Sub")).toBe("Ingest");
    expect(containerOf(layout, "Functions")).toBe("Ingest");
    expect(containerOf(layout, "BigQuery")).toBe("Store");
  });

  it("reads columns left to right, each top to bottom", () => {
    expect(layout.nodes.map((n) => n.label)).toEqual(["IoT Sensors", "Partner APIs", "Pub/Sub", "Functions", "BigQuery"]);
    expect(layout.title).toBeNull();
  });

  it("connects the arrow between two filled boxes", () => {
    const id = (label: string) => nodeByLabel(layout, label).id;
    expect(layout.connections).toEqual([{ from: id("IoT Sensors"), to: id("Pub/Sub") }]);
  });
});

describe("analyzeLayout: icons with captions", () => {
  let pixels: RawPixels;
  let layout: DiagramLayout;
  beforeAll(async () => {
    pixels = await render(ICONS);
    layout = analyzeLayout(pixels, textBoxes(ICONS));
  });

  it("takes a caption under an icon as a component of the band around it", () => {
    expect(layout.containers.map((c) => c.title)).toEqual(["Analytics"]);
    expect(containerOf(layout, "Athena")).toBe("Analytics");
    expect(containerOf(layout, "Glue")).toBe("Analytics");
    // The component's box takes in its icon.
    expect(nodeByLabel(layout, "Athena").box.y).toBeLessThan(140);
  });

  it("keeps free-standing text as a note and a plain disc icon as no step", () => {
    expect(layout.notes.map((n) => n.text)).toEqual(["Metrics are retained for thirty days in cold storage"]);
    expect(layout.steps).toEqual([]);
    expect(findStepMarkers(pixels)).toEqual([]);
  });
});

describe("analyzeLayout: degenerate input", () => {
  it("returns an empty layout for a blank image without text", () => {
    const pixels = { data: new Uint8Array(200 * 100 * 3).fill(255), width: 200, height: 100, channels: 3 };
    expect(analyzeLayout(pixels, [])).toEqual({
      width: 200,
      height: 100,
      title: null,
      containers: [],
      nodes: [],
      steps: [],
      connections: [],
      notes: [],
      legend: [],
    });
  });

  it("accepts RGBA and greyscale buffers", () => {
    const rgba = { data: new Uint8Array(50 * 40 * 4).fill(255), width: 50, height: 40, channels: 4 };
    const grey = { data: new Uint8Array(50 * 40).fill(255), width: 50, height: 40, channels: 1 };
    expect(analyzeLayout(rgba, []).nodes).toEqual([]);
    expect(analyzeLayout(grey, []).nodes).toEqual([]);
  });

  it("rejects a buffer too small for its stated size", () => {
    expect(() => analyzeLayout({ data: new Uint8Array(10), width: 50, height: 40, channels: 3 }, [])).toThrow(/pixel buffer/);
  });
});
