import "server-only";
import { findFaces, type Face } from "@/lib/offline/layout/faces";
import { boxDistance, centreX, centreY, coverage, inflate, intersection } from "@/lib/offline/layout/geometry";
import type { Line } from "@/lib/offline/layout/labels";
import type { Raster } from "@/lib/offline/layout/raster";
import type { Box } from "@/lib/offline/types";

/**
 * Numbered step markers: small filled circles (dark or saturated) with a light digit in the
 * middle. The OCR rarely reads a lone digit in a circle, so markers are found from the pixels:
 * the circle's fill is one face that is round (it touches its bounding box only at four points,
 * its corners are empty) with a centred hole where the digit is. The digit itself is not
 * recognised here; a digit the OCR did read on the marker gives the marker its number.
 */

export interface Marker {
  /** Working pixels. */
  box: Box;
  number: number | null;
}

const MIN_DIAMETER = 7;
const MAX_DIAMETER = 90;

/**
 * Markers already found, by the edge mask they were found in: `findStepMarkers` and
 * `analyzeLayout` look for them in the same image with the same lines of text, and the search
 * labels every strongly coloured pixel.
 */
const found = new WeakMap<Uint8Array, { text: string; markers: Box[] }>();

/** Marker circles, leaving out round glyphs of the text (a bold "e" in a title looks alike). */
export function detectMarkers(raster: Raster, mask: Uint8Array, text: Box[]): Box[] {
  const key = text.map((box) => `${box.x},${box.y},${box.width},${box.height}`).join(";");
  const known = found.get(mask);
  if (known?.text === key) return known.markers.map((box) => ({ ...box }));
  const markers = searchMarkers(raster, mask, text);
  found.set(mask, { text: key, markers });
  return markers.map((box) => ({ ...box }));
}

/** The search itself: round faces of a strong fill with a digit-sized hole in the middle. */
function searchMarkers(raster: Raster, mask: Uint8Array, text: Box[]): Box[] {
  // Only ink-free pixels of a strong colour can be a marker's fill: labelling just those keeps
  // this pass cheap on mostly white diagrams.
  const { width, height, rgb } = raster;
  const open = new Uint8Array(width * height);
  for (let i = 0; i < open.length; i++) {
    if (mask[i]) continue;
    const r = rgb[i * 3]!;
    const g = rgb[i * 3 + 1]!;
    const b = rgb[i * 3 + 2]!;
    open[i] = strong(r, g, b) ? 1 : 0;
  }
  const { ids, faces } = findFaces(open, rgb, width, height);
  const out: Box[] = [];
  faces.forEach((face, id) => {
    if (!isMarker(face, id, raster, ids)) return;
    // The face stops inside the anti-aliased rim; the drawn circle is a little larger.
    const box = inflate({ x: face.x0, y: face.y0, width: face.x1 - face.x0 + 1, height: face.y1 - face.y0 + 1 }, 1.5);
    if (!text.some((t) => coverage(box, t) > 0.5)) out.push(box);
  });
  return out;
}

/** Dark or saturated: a marker fill, not a pale group background. */
function strong(r: number, g: number, b: number): boolean {
  return 0.299 * r + 0.587 * g + 0.114 * b <= 150 || Math.max(r, g, b) - Math.min(r, g, b) >= 70;
}

function isMarker(face: Face, id: number, raster: Raster, ids: Int32Array): boolean {
  const w = face.x1 - face.x0 + 1;
  const h = face.y1 - face.y0 + 1;
  const d = Math.max(w, h);
  if (d < MIN_DIAMETER || d > MAX_DIAMETER || Math.min(w, h) < 0.8 * d || face.touchesImageEdge) return false;
  if (Math.max(...face.sides) > 0.6) return false; // a square touches its box along whole sides
  // A disc with a digit in it is mostly fill; a letter's ring ("o", "e") is not.
  const fill = face.pixels / (w * h);
  if (fill < 0.4 || fill > 0.8) return false;
  const [r, g, b] = face.colour;
  const lum = 0.299 * r + 0.587 * g + 0.114 * b;

  const cx = (face.x0 + face.x1) / 2;
  const cy = (face.y0 + face.y1) / 2;
  const radius = d / 2;
  let corner = 0;
  let cornerArea = 0;
  let hole = 0;
  let holeArea = 0;
  let gx0 = Infinity, gy0 = Infinity, gx1 = -Infinity, gy1 = -Infinity;
  for (let y = face.y0; y <= face.y1; y++) {
    for (let x = face.x0; x <= face.x1; x++) {
      const i = y * raster.width + x;
      const inFace = ids[i] === id;
      const dist = Math.hypot(x - cx, y - cy) / radius;
      if (dist > 1.2) {
        cornerArea++;
        if (inFace) corner++;
      } else if (dist < 0.7) {
        holeArea++;
        if (inFace) continue;
        hole++;
        // The digit: pixels inside the disc that contrast with the fill.
        const o = i * 3;
        const l = 0.299 * raster.rgb[o]! + 0.587 * raster.rgb[o + 1]! + 0.114 * raster.rgb[o + 2]!;
        if (Math.abs(l - lum) < 60) continue;
        gx0 = Math.min(gx0, x);
        gy0 = Math.min(gy0, y);
        gx1 = Math.max(gx1, x);
        gy1 = Math.max(gy1, y);
      }
    }
  }
  if (corner > 0.1 * cornerArea) return false;
  if (hole < 0.08 * holeArea || hole > 0.75 * holeArea || gx1 < 0) return false;
  // One or two digits: centred, a good part of the circle's height, not a wide glyph.
  const gw = gx1 - gx0 + 1;
  const gh = gy1 - gy0 + 1;
  const centred = Math.abs((gx0 + gx1) / 2 - cx) <= 0.2 * d && Math.abs((gy0 + gy1) / 2 - cy) <= 0.2 * d;
  return centred && gh >= 0.3 * d && gw <= 1.6 * gh;
}

/**
 * Gives markers their numbers from the digits the OCR read on them. A digit read where no
 * circle was found (a marker drawn some other way) still counts as a marker of its own.
 */
export function numberMarkers(boxes: Box[], digits: Line[]): Marker[] {
  const markers: Marker[] = boxes.map((box) => ({ box, number: null }));
  for (const digit of digits) {
    const near = (m: Marker) => coverage(digit.box, inflate(m.box, 0.3 * m.box.width)) >= 0.6;
    const hit = markers.find((m) => m.number === null && near(m));
    if (hit) hit.number = Number(digit.text);
    else if (!markers.some(near)) markers.push({ box: digit.box, number: Number(digit.text) });
  }
  return markers;
}

/** The node a marker stands next to: the nearest, if it is within a few marker widths. */
export function nearestNode(marker: Box, nodes: Box[], within = 4 * Math.max(marker.width, marker.height)): number | null {
  let best: number | null = null;
  let bestDistance = within;
  nodes.forEach((box, i) => {
    // Equal gaps (a marker between two boxes) go to the box whose centre is nearer.
    const centres = Math.hypot(centreX(box) - centreX(marker), centreY(box) - centreY(marker));
    const d = boxDistance(marker, box) + 1e-3 * centres;
    if (d < bestDistance) {
      bestDistance = d;
      best = i;
    }
  });
  return best;
}

/**
 * The component whose box the marker sits on or against (within a fifth of its size), the one
 * it overlaps most when several; null when it touches none.
 */
export function touchingNode(marker: Box, nodes: Box[]): number | null {
  const margin = 0.2 * Math.max(marker.width, marker.height);
  let best: number | null = null;
  let bestOverlap = -1;
  nodes.forEach((box, i) => {
    if (boxDistance(marker, box) > margin) return;
    const overlap = intersection(marker, box);
    if (overlap > bestOverlap) {
      bestOverlap = overlap;
      best = i;
    }
  });
  return best;
}

/**
 * The group whose frame the marker sits on (its centre within about half its size of the
 * group's outline), the smallest when several; null when none. Numbered circles on a group's
 * corner or edge number the group as a whole.
 */
export function onFrame(marker: Box, groups: Box[]): number | null {
  const cx = centreX(marker);
  const cy = centreY(marker);
  const margin = 0.6 * Math.max(marker.width, marker.height);
  let best: number | null = null;
  groups.forEach((g, i) => {
    const inside = cx >= g.x - margin && cx <= g.x + g.width + margin && cy >= g.y - margin && cy <= g.y + g.height + margin;
    const toOutline = Math.min(Math.abs(cx - g.x), Math.abs(cx - g.x - g.width), Math.abs(cy - g.y), Math.abs(cy - g.y - g.height));
    if (!inside || toOutline > margin) return;
    if (best === null || g.width * g.height < groups[best]!.width * groups[best]!.height) best = i;
  });
  return best;
}
