import { describe, expect, it } from "vitest";
import { analyzeLayout } from "@/lib/offline/layout";
import type { DiagramLayout } from "@/lib/offline/types";
import { arrow, box, render, textBoxes, type Diagram, type Label } from "@/tests/offline/layout/diagrams";

/** A component box with its name, as the layout tests draw them. */
function component(name: string, x: number, y: number): { shape: string; label: Label } {
  return { shape: box(x, y, 150, 56), label: { text: name, x: x + 16, y: y + 34 } };
}

/** A path (curves, elbows, dashes) ending in a filled head at (x2, y2), pointing along (dx, dy). */
function pathArrow(d: string, x2: number, y2: number, dx: number, dy: number, dashed = false): string {
  const length = Math.hypot(dx, dy);
  const [ux, uy] = [dx / length, dy / length];
  const base = [x2 - 11 * ux, y2 - 11 * uy];
  const head = `${x2},${y2} ${base[0]! - 5 * uy},${base[1]! + 5 * ux} ${base[0]! + 5 * uy},${base[1]! - 5 * ux}`;
  return `<path d="${d}" fill="none" stroke="#455a64" stroke-width="2"${dashed ? ' stroke-dasharray="8 6"' : ""}/><polygon points="${head}" fill="#455a64"/>`;
}

function diagram(parts: Array<{ shape: string; label: Label }>, lines: string[]): Diagram {
  return { width: 900, height: 520, shapes: [...parts.map((p) => p.shape), ...lines].join(""), labels: parts.map((p) => p.label) };
}

async function connections(d: Diagram): Promise<string[]> {
  const layout: DiagramLayout = analyzeLayout(await render(d), textBoxes(d));
  const name = (id: string) => layout.nodes.find((node) => node.id === id)!.label;
  return layout.connections.map((c) => `${name(c.from)} -> ${name(c.to)}`).sort();
}

describe("analyzeLayout: arrows followed through what splits their ink", () => {
  it("tells two crossing arrows apart, each with its own direction", async () => {
    const parts = [component("Orders", 60, 60), component("Billing", 60, 400), component("Ledger", 690, 60), component("Archive", 690, 400)];
    // Orders → Archive and Billing → Ledger cross in the middle.
    const lines = [arrow(210, 100, 690, 420), arrow(210, 420, 690, 100)];
    expect(await connections(diagram(parts, lines))).toEqual(["Billing -> Ledger", "Orders -> Archive"]);
  });

  it("follows a dashed arrow to its head", async () => {
    const parts = [component("Sensors", 60, 220), component("Gateway", 690, 220)];
    const lines = [pathArrow("M 210 248 L 688 248", 688, 248, 1, 0, true)];
    expect(await connections(diagram(parts, lines))).toEqual(["Sensors -> Gateway"]);
  });

  it("follows an elbow arrow round its corner", async () => {
    const parts = [component("Scheduler", 60, 60), component("Workers", 690, 400)];
    const lines = [pathArrow("M 210 88 L 765 88 L 765 398", 765, 398, 0, 1)];
    expect(await connections(diagram(parts, lines))).toEqual(["Scheduler -> Workers"]);
  });

  it("follows a curved arrow crossing a straight one", async () => {
    const parts = [component("Client", 60, 60), component("Cache", 690, 400), component("Queue", 60, 400), component("Store", 690, 60)];
    const lines = [pathArrow("M 135 118 C 135 330, 600 200, 688 428", 688, 428, 0.5, 1), arrow(210, 428, 690, 88)];
    expect(await connections(diagram(parts, lines))).toEqual(["Client -> Cache", "Queue -> Store"]);
  });

  it("reads crossing lines without heads left to right, as diagrams are read", async () => {
    const parts = [component("Orders", 60, 60), component("Billing", 60, 400), component("Ledger", 690, 60), component("Archive", 690, 400)];
    // Drawn from the right-hand end, so the order they are found in is no help.
    const line = (x1: number, y1: number, x2: number, y2: number) => `<line x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" stroke="#455a64" stroke-width="2"/>`;
    const lines = [line(690, 420, 210, 100), line(690, 100, 210, 420)];
    expect(await connections(diagram(parts, lines))).toEqual(["Billing -> Ledger", "Orders -> Archive"]);
  });
});
