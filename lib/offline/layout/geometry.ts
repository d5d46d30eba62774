import "server-only";
import type { Box } from "@/lib/offline/types";

/** Small rectangle helpers shared by the layout stages. All boxes are left/top/width/height. */

export function right(b: Box): number {
  return b.x + b.width;
}

export function bottom(b: Box): number {
  return b.y + b.height;
}

export function centreX(b: Box): number {
  return b.x + b.width / 2;
}

export function centreY(b: Box): number {
  return b.y + b.height / 2;
}

export function area(b: Box): number {
  return Math.max(0, b.width) * Math.max(0, b.height);
}

export function intersection(a: Box, b: Box): number {
  const w = Math.min(right(a), right(b)) - Math.max(a.x, b.x);
  const h = Math.min(bottom(a), bottom(b)) - Math.max(a.y, b.y);
  return w > 0 && h > 0 ? w * h : 0;
}

/** The share of `inner`'s area that lies inside `outer`. */
export function coverage(inner: Box, outer: Box): number {
  const a = area(inner);
  return a > 0 ? intersection(inner, outer) / a : 0;
}

export function union(a: Box, b: Box): Box {
  const x = Math.min(a.x, b.x);
  const y = Math.min(a.y, b.y);
  return { x, y, width: Math.max(right(a), right(b)) - x, height: Math.max(bottom(a), bottom(b)) - y };
}

export function inflate(b: Box, d: number): Box {
  return { x: b.x - d, y: b.y - d, width: b.width + 2 * d, height: b.height + 2 * d };
}

export function scaleBox(b: Box, k: number): Box {
  return { x: b.x * k, y: b.y * k, width: b.width * k, height: b.height * k };
}

/** Gap between two boxes (0 when they touch or overlap), Euclidean over the two axes. */
export function boxDistance(a: Box, b: Box): number {
  const dx = Math.max(0, a.x - right(b), b.x - right(a));
  const dy = Math.max(0, a.y - bottom(b), b.y - bottom(a));
  return Math.hypot(dx, dy);
}

/** Overlap of two intervals divided by the shorter one: 1 when one spans the other. */
export function spanOverlap(a0: number, a1: number, b0: number, b1: number): number {
  const shorter = Math.min(a1 - a0, b1 - b0);
  return shorter > 0 ? Math.max(0, Math.min(a1, b1) - Math.max(a0, b0)) / shorter : 0;
}

export function roundBox(b: Box): Box {
  const x = Math.round(b.x);
  const y = Math.round(b.y);
  return { x, y, width: Math.round(b.x + b.width) - x, height: Math.round(b.y + b.height) - y };
}

export function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}
