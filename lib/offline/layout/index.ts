import "server-only";
import { findConnections, type ConnectionEnd } from "@/lib/offline/layout/connections";
import { edgeMask } from "@/lib/offline/layout/edges";
import { findDashedFrames } from "@/lib/offline/layout/dashed-frames";
import { findFaintTiles } from "@/lib/offline/layout/faint-tiles";
import { classifyFreeText, type FreeTextRoles } from "@/lib/offline/layout/free-text";
import { coverage, inflate, roundBox, scaleBox, union } from "@/lib/offline/layout/geometry";
import { groupRegions, type FreeBlock, type Group, type NodeDraft } from "@/lib/offline/layout/grouping";
import { groupBlocks, prepareLines, readingText } from "@/lib/offline/layout/labels";
import { findLegend } from "@/lib/offline/layout/legend";
import { readingOrder } from "@/lib/offline/layout/order";
import { toRaster, type RawPixels } from "@/lib/offline/layout/raster";
import { findRectangles } from "@/lib/offline/layout/rectangles";
import { attachHeaders, buildRegions, holdsText } from "@/lib/offline/layout/regions";
import { detectMarkers, nearestNode, numberMarkers, onFrame, touchingNode } from "@/lib/offline/layout/steps";
import type {
  Box,
  Connection,
  DiagramLayout,
  LayoutContainer,
  LayoutNode,
  StepMarker,
  TextBox,
} from "@/lib/offline/types";

export type { RawPixels } from "@/lib/offline/layout/raster";

/** How far short of an icon an arrow to it may stop, in caption line heights. */
const ICON_ARROW_GAP = 1.5;

/**
 * The layout stage of the offline analyzer: from the image's pixels and the OCR's lines, which
 * components there are, which group box each sits in, the numbered steps, the arrows between
 * components, and an order to read them in. Pure and synchronous.
 *
 * The boxes come from the pixels (rectangles.ts); the text only says what is written where.
 * Step markers whose digit the OCR did not read are left out of `steps`: call
 * `findStepMarkers` first, read the crops, and pass the digits in as text boxes on the markers.
 */
export function analyzeLayout(pixels: RawPixels, textBoxes: TextBox[]): DiagramLayout {
  const raster = toRaster(pixels);
  const toSource = (b: Box) => roundBox(scaleBox(b, 1 / raster.scale));
  const mask = edgeMask(raster);
  const { lines, digits } = prepareLines(textBoxes, raster.scale);
  const allText = [...lines, ...digits].map((l) => l.box);

  const markers = numberMarkers(
    detectMarkers(raster, mask, lines.map((l) => l.box)),
    digits,
  );
  const rectangleOptions = { minWidth: 12, minHeight: 10, occluders: allText };
  const drawnRects = findRectangles(mask, raster.width, raster.height, rectangleOptions);
  const rects = [
    ...drawnRects,
    ...findFaintTiles(raster, drawnRects, rectangleOptions),
    ...findDashedFrames(mask, raster.width, raster.height, drawnRects, rectangleOptions),
  ]
    // A digit read on a step circle lets the circle pass for a box: it is none.
    .filter((r) => !markers.some((m) => coverage(r, inflate(m.box, 2)) > 0.8));

  const built = buildRegions(rects, lines);
  const { regions } = built;
  const outside = attachHeaders(regions, built.outside);
  const grouping = groupRegions(regions.filter((r) => r.parent === null));
  const free = [...grouping.free, ...groupBlocks(outside).map((block) => ({ block, group: null }))];
  const roles = classifyFreeText(free, {
    raster,
    mask,
    drawn: regions.filter(holdsText).map((r) => r.box),
    ignore: markers.map((m) => m.box),
    text: allText,
  });
  const tree = readingTree(grouping.groups, [...grouping.nodes, ...roles.nodes]);
  const { groups } = tree;
  const { drafts, legend } = setLegendApart(tree.drafts, roles);

  // Arrows are followed between components drawn as boxes or icons; text inside an outline that
  // is no rectangle is, more often than not, a label in the pocket between lines.
  const linkable = drafts.map((_, i) => i).filter((i) => drafts[i]!.drawnAs !== "shape");
  const found = findConnections({
    raster,
    mask,
    nodes: linkable.map((i) => linkBox(drafts[i]!)),
    groups: groups.map((g) => g.box),
    text: [
      ...lines.filter((l) => !roles.arrowLabels.some((a) => a.block.lines.includes(l))).map((l) => l.box),
      ...drafts.filter((d) => d.drawnAs === "shape").map((d) => d.box),
    ],
    labels: roles.arrowLabels.map((a) => a.block.box),
    markers: markers.map((m) => m.box),
  });

  // A step on or against a component's box is that component's; one on a group's frame, away
  // from any component, is the group's; one on an arrow is the step into the arrow's target; any other, the nearest
  // component's.
  const draftBoxes = drafts.map((d) => d.box);
  const numbered = markers
    .map((m, i) => {
      const on = found.markerOn[i];
      const touched = touchingNode(m.box, draftBoxes);
      // On a frame, but with a component right by it, the marker is the component's.
      const nearby = nearestNode(m.box, draftBoxes, Math.max(m.box.width, m.box.height));
      const frame = touched === null && nearby === null ? onFrame(m.box, groups.map((g) => g.box)) : null;
      const arrow = on && frame === null ? { from: linkable[on.from]!, to: linkable[on.to]! } : null;
      const node = touched ?? (frame !== null ? null : arrow ? arrow.to : nearestNode(m.box, draftBoxes));
      return { ...m, arrow, node, group: frame === null ? null : groups[frame]! };
    })
    .filter((m): m is typeof m & { number: number } => m.number !== null)
    .sort((a, b) => a.number - b.number);

  // With numbered steps, the stepped components lead in step order; the rest follow.
  const firstStep = (i: number) => Math.min(...numbered.filter((s) => s.node === i).map((s) => s.number));
  const order = drafts
    .map((_, i) => i)
    .sort((a, b) => (firstStep(a) === firstStep(b) ? a - b : firstStep(a) - firstStep(b)));
  const nodeId = new Map(order.map((draft, k) => [draft, `n${k + 1}`]));
  const containerId = (g: Group | null) => (g ? `c${groups.indexOf(g) + 1}` : null);

  const containers: LayoutContainer[] = groups.map((g) => ({
    id: containerId(g)!,
    title: g.title.text,
    box: toSource(g.box),
    parentId: containerId(g.parent),
  }));
  const nodes: LayoutNode[] = order.map((i) => ({
    id: nodeId.get(i)!,
    label: drafts[i]!.label,
    box: toSource(drafts[i]!.box),
    containerId: containerId(drafts[i]!.group),
  }));
  const steps: StepMarker[] = numbered.map((s) => ({
    number: s.number,
    box: toSource(s.box),
    nodeId: s.node === null ? null : nodeId.get(s.node)!,
    connection: s.arrow ? { from: nodeId.get(s.arrow.from)!, to: nodeId.get(s.arrow.to)! } : null,
    containerId: containerId(s.group),
  }));
  const endIdOf = (end: ArrowEnd) => ("node" in end ? nodeId.get(end.node)! : containerId(end.group)!);
  const connections = new Map<string, Connection>();
  for (const c of found.connections) {
    const [from, to] = [arrowEnd(c.from, linkable, drafts, groups), arrowEnd(c.to, linkable, drafts, groups)];
    if (encloses(from, to, drafts) || encloses(to, from, drafts)) continue;
    const connection: Connection = { from: endIdOf(from), to: endIdOf(to), ...(c.label !== null ? { label: roles.arrowLabels[c.label]!.block.text } : {}) };
    const key = `${connection.from}>${connection.to}`;
    // A tile's frame and its one component are the same end: the first arrow found, with its label, stays.
    if (connection.from !== connection.to && (!connections.has(key) || (!connections.get(key)!.label && connection.label))) connections.set(key, connection);
  }

  // Short texts that turned out to be on no arrow are notes like any other free text.
  const usedLabels = new Set(found.connections.map((c) => c.label));
  const notes = [...roles.notes, ...roles.arrowLabels.filter((_, i) => !usedLabels.has(i))]
    .flatMap((n) => n.block.lines.map((l) => l.source))
    .sort((a, b) => a.box.y - b.box.y || a.box.x - b.box.x);

  return {
    width: pixels.width,
    height: pixels.height,
    title: roles.title?.text ?? null,
    containers,
    nodes,
    steps,
    connections: [...connections.values()],
    notes,
    legend,
  };
}

type ArrowEnd = { node: number } | { group: Group };

/**
 * What an arrow's end is: a component (index into the drafts), or a group whose frame it reaches.
 * A frame around one component and nothing else (a tile behind an icon) is that component's.
 */
function arrowEnd(end: ConnectionEnd, linkable: number[], drafts: NodeDraft[], groups: Group[]): ArrowEnd {
  if ("node" in end) return { node: linkable[end.node]! };
  const group = groups[end.group]!;
  const members = drafts.flatMap((draft, i) => (draft.group === group ? [i] : []));
  const hasSubgroups = groups.some((g) => g.parent === group);
  return members.length === 1 && !hasSubgroups ? { node: members[0]! } : { group };
}

/**
 * Whether an arrow end is a group around the other end: a line from a component to its own
 * group's frame is one leaving the group, cut where the frame was wiped, not an arrow to it.
 */
function encloses(outer: ArrowEnd, inner: ArrowEnd, drafts: NodeDraft[]): boolean {
  if (!("group" in outer)) return false;
  let parent = "group" in inner ? inner.group.parent : (drafts[inner.node]?.group ?? null);
  for (; parent; parent = parent.parent) if (parent === outer.group) return true;
  return false;
}

/**
 * Takes the legend out of the components, notes and arrow labels (legend.ts): its entries stay
 * in the layout, apart, and are linked to nothing. Changes `roles` in place.
 */
function setLegendApart(all: NodeDraft[], roles: FreeTextRoles): { drafts: NodeDraft[]; legend: TextBox[] } {
  const free = [...roles.notes, ...roles.arrowLabels];
  const members = findLegend([
    ...all.map((draft) => ({ text: draft.label, box: draft.box })),
    ...free.map((text) => ({ text: text.block.text, box: text.block.box })),
  ]);
  if (members.size === 0) return { drafts: all, legend: [] };
  const inLegend = (text: FreeBlock) => members.has(all.length + free.indexOf(text));
  // One entry per legend item, its lines joined: "* Future Accelerator Implementation".
  const entries = [
    ...all.filter((_, i) => members.has(i)).map((draft) => draft.lines),
    ...free.filter(inLegend).map((text) => text.block.lines),
  ];
  roles.notes = roles.notes.filter((text) => !inLegend(text));
  roles.arrowLabels = roles.arrowLabels.filter((text) => !inLegend(text));
  const legend = entries
    .filter((lines) => lines.length > 0)
    .map((lines) => ({
      text: readingText(lines),
      confidence: Math.min(...lines.map((line) => line.source.confidence)),
      box: lines.map((line) => line.source.box).reduce(union),
    }))
    .sort((a, b) => a.box.y - b.box.y || a.box.x - b.box.x);
  return { drafts: all.filter((_, i) => !members.has(i)), legend };
}

/**
 * Where arrows to a component end: its box, or around an icon a margin of about one and a half
 * caption lines, since arrows to an icon stop short of it by about that much.
 */
function linkBox(draft: NodeDraft): Box {
  if (draft.drawnAs !== "icon") return draft.box;
  const lineHeight = Math.max(...draft.lines.map((line) => line.box.height));
  return inflate(draft.box, ICON_ARROW_GAP * lineHeight);
}

/**
 * Where the numbered step circles are, in source pixels, in reading order, so the caller can
 * read each crop's digit (the OCR misses lone digits in circles) and pass it back to
 * `analyzeLayout` as a text box on the marker. Given the OCR's lines, round glyphs of the text
 * are not mistaken for markers.
 */
export function findStepMarkers(pixels: RawPixels, textBoxes: TextBox[] = []): Box[] {
  const raster = toRaster(pixels);
  const { lines } = prepareLines(textBoxes, raster.scale);
  const boxes = detectMarkers(raster, edgeMask(raster), lines.map((l) => l.box));
  return readingOrder(boxes, (b) => b).map((b) => roundBox(scaleBox(b, 1 / raster.scale)));
}

/**
 * Groups and components in reading order, depth first: each group's content right after it,
 * siblings (groups and components alike) in rows top to bottom, left to right in a row.
 */
function readingTree(allGroups: Group[], allDrafts: NodeDraft[]): { groups: Group[]; drafts: NodeDraft[] } {
  const groups: Group[] = [];
  const drafts: NodeDraft[] = [];
  const visit = (parent: Group | null) => {
    const members: (Group | NodeDraft)[] = [
      ...allGroups.filter((g) => g.parent === parent),
      ...allDrafts.filter((n) => n.group === parent),
    ];
    for (const m of readingOrder(members, (x) => x.box)) {
      if ("title" in m) {
        groups.push(m);
        visit(m);
      } else {
        drafts.push(m);
      }
    }
  };
  visit(null);
  return { groups, drafts };
}
