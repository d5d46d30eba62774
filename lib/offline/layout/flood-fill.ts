import "server-only";

/** The patch `fill` last labelled: its size and inclusive bounding box, in working pixels. */
export interface Patch {
  size: number;
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/**
 * The layout stage's one flood fill: connected patches of open pixels, labelled one at a time.
 * The faces of step markers use 4 neighbours (a disc's fill must not leak through a diagonal gap
 * in its rim); connector lines use 8 (an anti-aliased diagonal line touches only at corners).
 *
 * The queue doubles as the patch's pixel list, so each caller sums what it needs (colour, drawn
 * ink) over `pixels` afterwards instead of the fill taking a callback per pixel.
 */
export class FloodFill {
  /** Patch id per pixel; -1 where closed or not labelled yet. */
  readonly ids: Int32Array;
  /** The pixels of the last patch filled: `pixels[0 .. size)`. */
  readonly pixels: Int32Array;
  private readonly patch: Patch = { size: 0, x0: 0, y0: 0, x1: 0, y1: 0 };

  constructor(
    private readonly open: Uint8Array,
    private readonly width: number,
    private readonly height: number,
    private readonly neighbours: 4 | 8,
  ) {
    this.ids = new Int32Array(width * height).fill(-1);
    this.pixels = new Int32Array(width * height);
  }

  /**
   * Labels the patch around `start` (an open pixel not labelled yet) with `id`. The result is
   * reused by the next call: read it before filling again.
   */
  fill(start: number, id: number): Readonly<Patch> {
    const { pixels, width, height } = this;
    const diagonal = this.neighbours === 8;
    let head = 0;
    let tail = 0;
    let x0 = width, y0 = height, x1 = -1, y1 = -1;
    pixels[tail++] = start;
    this.ids[start] = id;
    while (head < tail) {
      const p = pixels[head++]!;
      const x = p % width;
      const y = (p - x) / width;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
      // Columns to either side, where the image has them; taking `p` itself again does nothing.
      const left = x > 0 ? -1 : 0;
      const right = x + 1 < width ? 1 : 0;
      tail = this.take(p + left, id, tail);
      tail = this.take(p + right, id, tail);
      const from = diagonal ? left : 0;
      const to = diagonal ? right : 0;
      if (y > 0) for (let q = p - width + from; q <= p - width + to; q++) tail = this.take(q, id, tail);
      if (y + 1 < height) for (let q = p + width + from; q <= p + width + to; q++) tail = this.take(q, id, tail);
    }
    const patch = this.patch;
    patch.size = tail;
    patch.x0 = x0;
    patch.y0 = y0;
    patch.x1 = x1;
    patch.y1 = y1;
    return patch;
  }

  /** Labels `q` and queues it if it is open and not labelled yet; returns the queue's new end. */
  private take(q: number, id: number, tail: number): number {
    if (this.open[q] && this.ids[q] === -1) {
      this.ids[q] = id;
      this.pixels[tail++] = q;
    }
    return tail;
  }
}
