import "server-only";
import type { DiagramStructure, StructureBox, StructureGroup } from "@/lib/offline/structure/types";

/** Draw.io's own styles: a plain rounded box, a container with its title at the top left, an arrow. */
const COMPONENT_STYLE = "rounded=1;whiteSpace=wrap;html=1;";
const GROUP_STYLE = "rounded=0;whiteSpace=wrap;html=1;container=1;collapsible=0;fillColor=none;verticalAlign=top;align=left;spacingLeft=6;";
const EDGE_STYLE = "edgeStyle=orthogonalEdgeStyle;rounded=0;html=1;";
/** The cells every draw.io graph starts with: the root and the default layer everything sits on. */
const ROOT_ID = "0";
const LAYER_ID = "1";

/**
 * The structure as a draw.io file (mxfile › diagram › mxGraphModel › root › mxCell), ready to open
 * in diagrams.net: components and groups are vertices at their positions and sizes in the image,
 * groups are containers (`container=1`) whose members are their children (child geometry is
 * relative to the parent, as draw.io expects), and arrows are edges connected to their ends.
 */
export function structureToDrawio(structure: DiagramStructure): string {
  const boxes = new Map<string, StructureBox>([
    ...structure.groups.map((group) => [group.id, group.box] as const),
    ...structure.components.map((component) => [component.id, component.box] as const),
  ]);
  const groupIds = new Set(structure.groups.map((group) => group.id));
  const parentCell = (parent: string | null) => (parent !== null && groupIds.has(parent) ? cellId(parent) : LAYER_ID);
  const geometry = (box: StructureBox, parent: string | null) => {
    const origin = parent !== null && groupIds.has(parent) ? boxes.get(parent)! : null;
    const [x, y, width, height] = box;
    return `<mxGeometry x="${x - (origin?.[0] ?? 0)}" y="${y - (origin?.[1] ?? 0)}" width="${width}" height="${height}" as="geometry"/>`;
  };
  const cells = [`<mxCell id="${ROOT_ID}"/>`, `<mxCell id="${LAYER_ID}" parent="${ROOT_ID}"/>`];
  for (const group of parentsFirst(structure.groups)) {
    cells.push(
      `<mxCell id="${cellId(group.id)}" value="${xml(group.name)}" style="${GROUP_STYLE}" vertex="1" parent="${parentCell(group.parent)}">${geometry(group.box, group.parent)}</mxCell>`,
    );
  }
  for (const component of structure.components) {
    const value = component.step === null ? component.name : `${component.step}. ${component.name}`;
    cells.push(
      `<mxCell id="${cellId(component.id)}" value="${xml(value)}" style="${COMPONENT_STYLE}" vertex="1" parent="${parentCell(component.group)}">${geometry(component.box, component.group)}</mxCell>`,
    );
  }
  structure.edges.forEach((edge, index) => {
    if (!boxes.has(edge.from) || !boxes.has(edge.to)) return;
    const style = `${EDGE_STYLE}endArrow=${edge.directed ? "classic" : "none"};`;
    cells.push(
      `<mxCell id="edge-${index + 1}" value="${xml(edge.label ?? "")}" style="${style}" edge="1" parent="${LAYER_ID}" source="${cellId(edge.from)}" target="${cellId(edge.to)}"><mxGeometry relative="1" as="geometry"/></mxCell>`,
    );
  });
  const { width, height } = structure.image;
  const name = xml(structure.title ?? "Diagram");
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<mxfile host="multimodal-reasoning-agent" type="device">`,
    `<diagram id="structure" name="${name}">`,
    `<mxGraphModel dx="${width}" dy="${height}" grid="1" gridSize="10" guides="1" tooltips="1" connect="1" arrows="1" fold="1" page="1" pageScale="1" pageWidth="${width}" pageHeight="${height}" math="0" shadow="0">`,
    `<root>`,
    ...cells,
    `</root>`,
    `</mxGraphModel>`,
    `</diagram>`,
    `</mxfile>`,
    "",
  ].join("\n");
}

/** Draw.io needs a parent cell before its children; groups are listed outermost first. */
function parentsFirst(groups: StructureGroup[]): StructureGroup[] {
  const ordered: StructureGroup[] = [];
  const placed = new Set<string>();
  const known = new Set(groups.map((group) => group.id));
  let remaining = groups;
  while (remaining.length) {
    const ready = remaining.filter((group) => group.parent === null || !known.has(group.parent) || placed.has(group.parent));
    // A cycle of parents (never made by the layout) would loop for ever: the rest go in as they are.
    const next = ready.length ? ready : remaining;
    for (const group of next) {
      ordered.push(group);
      placed.add(group.id);
    }
    remaining = remaining.filter((group) => !placed.has(group.id));
  }
  return ordered;
}

/** Structure ids are the layout's own ("n1", "c2"); prefixed so they never clash with "0" and "1". */
function cellId(id: string): string {
  return `cell-${xml(id)}`;
}

function xml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/\n/g, "&#10;");
}
