// Sets of pixels to (re)compute. After the first iteration only the cleaned pixels change, and every LACosmic stage
// is a fixed-radius neighbourhood function, so later iterations recompute each stage only in a box of that radius
// around the changed pixels: the result is identical to recomputing the whole frame. Stages that matter only at a
// few pixels (the fine structure at candidates) use the same mechanism.

/** A growable list of integers (pixel indices, runs). */
export class IntList {
  private data = new Int32Array(1024);
  length = 0;

  push(v: number): void {
    if (this.length === this.data.length) {
      const bigger = new Int32Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = v;
  }

  view(): Int32Array {
    return this.data.subarray(0, this.length);
  }
}

/** Called once per run of consecutive pixels [x0, x1) of row y. */
export type RunFn = (y: number, x0: number, x1: number) => void;

export class Region {
  private readonly grown = new Map<number, Region>();

  private constructor(
    readonly width: number,
    readonly height: number,
    /** (y, x0, x1) triples in row order, or null for every pixel. */
    private readonly runs: Int32Array | null,
    private readonly points: Int32Array | null,
    private readonly rx: number,
    private readonly ry: number,
  ) {}

  static all(width: number, height: number): Region {
    return new Region(width, height, null, null, 0, 0);
  }

  /** Pixels within rx columns and ry rows of any of the flat indices in `points`. */
  static around(points: Int32Array, rx: number, ry: number, width: number, height: number): Region {
    if (points.some((p, k) => k > 0 && p < points[k - 1])) points = points.slice().sort();
    // Each row's own intervals [x − rx, x + rx], merged: flat (x0, x1) pairs, rowStart[y] .. rowStart[y + 1].
    const own: number[] = [];
    const rowStart = new Int32Array(height + 1);
    let k = 0;
    for (let y = 0; y < height; y++) {
      rowStart[y] = own.length;
      for (let end = (y + 1) * width; k < points.length && points[k] < end; k++) {
        const x = points[k] - y * width, x0 = Math.max(0, x - rx), x1 = Math.min(width, x + rx + 1);
        if (own.length > rowStart[y] && x0 <= own[own.length - 1]) own[own.length - 1] = x1;
        else own.push(x0, x1);
      }
    }
    rowStart[height] = own.length;
    // Each output row: the union of the rows within ry, one two-way merge at a time.
    const runs = new IntList();
    let acc: number[] = [], next: number[] = [];
    for (let y = 0; y < height; y++) {
      acc.length = 0;
      for (let yy = Math.max(0, y - ry); yy <= Math.min(height - 1, y + ry); yy++) {
        if (rowStart[yy] === rowStart[yy + 1]) continue;
        unite(acc, own, rowStart[yy], rowStart[yy + 1], next);
        const t = acc;
        acc = next;
        next = t;
      }
      for (let r = 0; r < acc.length; r += 2) {
        runs.push(y);
        runs.push(acc[r]);
        runs.push(acc[r + 1]);
      }
    }
    return new Region(width, height, runs.view(), points, rx, ry);
  }

  get isAll(): boolean {
    return this.runs === null;
  }

  /** This region grown by k rows up and down: where a separable median's row pass is needed. */
  grownVertically(k: number): Region {
    if (this.points === null || k === 0) return this;
    let g = this.grown.get(k);
    if (!g) this.grown.set(k, g = Region.around(this.points, this.rx, this.ry + k, this.width, this.height));
    return g;
  }

  forEachRun(fn: RunFn): void {
    const runs = this.runs;
    if (runs === null) {
      for (let y = 0; y < this.height; y++) fn(y, 0, this.width);
      return;
    }
    for (let r = 0; r < runs.length; r += 3) fn(runs[r], runs[r + 1], runs[r + 2]);
  }
}

/** out = union of the sorted disjoint intervals in a and in b[from..to) (flat x0, x1 pairs). */
function unite(a: number[], b: number[], from: number, to: number, out: number[]): void {
  out.length = 0;
  let i = 0, j = from;
  while (i < a.length || j < to) {
    let x0: number, x1: number;
    if (j >= to || (i < a.length && a[i] <= b[j])) (x0 = a[i]), (x1 = a[i + 1]), (i += 2);
    else (x0 = b[j]), (x1 = b[j + 1]), (j += 2);
    if (out.length > 0 && x0 <= out[out.length - 1]) out[out.length - 1] = Math.max(out[out.length - 1], x1);
    else out.push(x0, x1);
  }
}
