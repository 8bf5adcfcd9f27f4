// Which test chunks the report shows (like the paper's Fig. 8), and the crop shown from each. The choice depends
// only on the chunks' masks and their order, so every method's pass over the split picks the same ones.

/** One crop for the report: pixels (raw ADU), truth and each method's binary prediction, row-major. */
export interface Cutout {
  /** Position of the chunk in the split's order. */
  chunk: number;
  info: Record<string, string | number | undefined>;
  /** Crop origin inside the chunk, and its side. */
  x0: number;
  y0: number;
  size: number;
  image: number[];
  truth: number[];
  ignore: number[] | null;
  /** Method name → 0/1 prediction (score > threshold after dilation if the method dilates; LACosmic's fixed run). */
  predictions: Record<string, number[]>;
}

/** Deterministic picker: up to `count` chunks with at least `minCr` CR pixels, spread over the split. */
export class CutoutPicker {
  private taken = 0;
  private lastTaken = -Infinity;
  private readonly leaves = new Set<string>();

  constructor(private readonly count: number, private readonly gap: number, private readonly minCr = 10) {}

  /** True if chunk `index` (of subset leaf `leaf`) is one of the picked ones. Call once per chunk, in order. */
  pick(index: number, leaf: string, mask: ArrayLike<number>): boolean {
    if (this.taken >= this.count) return false;
    // A new band/telescope is taken at once; otherwise chunks are spaced `gap` apart.
    if (this.leaves.has(leaf) && index - this.lastTaken < this.gap) return false;
    let cr = 0;
    for (let i = 0; i < mask.length; i++) if (mask[i]) cr++;
    if (cr < this.minCr) return false;
    this.taken++;
    this.lastTaken = index;
    this.leaves.add(leaf);
    return true;
  }
}

/** The crop (side `size`, on an 8-px grid) holding the most CR pixels. */
export function bestWindow(mask: ArrayLike<number>, side: number, size: number): { x0: number; y0: number } {
  const s = Math.min(size, side);
  // Summed-area table: CR count of any rectangle in O(1).
  const sat = new Float64Array((side + 1) * (side + 1));
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      sat[(y + 1) * (side + 1) + x + 1] = (mask[y * side + x] ? 1 : 0) + sat[y * (side + 1) + x + 1] +
        sat[(y + 1) * (side + 1) + x] - sat[y * (side + 1) + x];
    }
  }
  let best = -1, bx = 0, by = 0;
  const starts = (n: number) => {
    const out: number[] = [];
    for (let v = 0; v < n - s; v += 8) out.push(v);
    out.push(n - s);
    return out;
  };
  for (const y0 of starts(side)) {
    for (const x0 of starts(side)) {
      const w = side + 1;
      const c = sat[(y0 + s) * w + x0 + s] - sat[y0 * w + x0 + s] - sat[(y0 + s) * w + x0] + sat[y0 * w + x0];
      if (c > best) (best = c), (bx = x0), (by = y0);
    }
  }
  return { x0: bx, y0: by };
}

export function crop(values: ArrayLike<number>, side: number, x0: number, y0: number, size: number): number[] {
  const out: number[] = [];
  for (let y = y0; y < y0 + size; y++) for (let x = x0; x < x0 + size; x++) out.push(values[y * side + x]);
  return out;
}
