import "server-only";
import { bottom } from "@/lib/offline/layout/geometry";
import type { Box } from "@/lib/offline/types";

/**
 * Reading order of things side by side: rows top to bottom, left to right within a row. A row
 * is everything overlapping it vertically, so a tall group standing beside a column of small
 * boxes is read with them, left to right (the usual flow of an architecture diagram).
 */
export function readingOrder<T>(items: T[], boxOf: (item: T) => Box): T[] {
  const sorted = [...items].sort((a, b) => boxOf(a).y - boxOf(b).y);
  const rows: { top: number; bottom: number; items: T[] }[] = [];
  for (const item of sorted) {
    const b = boxOf(item);
    const row = rows.find((r) => Math.min(r.bottom, bottom(b)) - Math.max(r.top, b.y) >= 0.5 * b.height);
    if (row) {
      row.items.push(item);
      row.top = Math.min(row.top, b.y);
      row.bottom = Math.max(row.bottom, bottom(b));
    } else {
      rows.push({ top: b.y, bottom: bottom(b), items: [item] });
    }
  }
  return rows.flatMap((r) => r.items.sort((a, b) => boxOf(a).x - boxOf(b).x || boxOf(a).y - boxOf(b).y));
}
