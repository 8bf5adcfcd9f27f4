// Astro-SCRAPPY's median filters. Border rule (medutils.c): a filter of half-width h leaves an h-pixel border, which
// is copied from the input. The separable filter takes medians along rows (for every row, interior columns only)
// and then down the columns of that row-median image.
import { midFor, select } from "./median.ts";
import { imidFor } from "./median_int.ts";
import type { Region } from "./region.ts";
import { colPass, colPassInt, colPassPair, colPassPairInt, rowPass, rowPassInt } from "./sep_passes.ts";

function isBorderRow(y: number, height: number, h: number): boolean {
  return y < h || y >= height - h;
}

/** Splits each run of `region` into its border pixels (copied from src to dst) and its interior part. */
function interiorRuns(
  region: Region,
  src: Float32Array,
  dst: Float32Array,
  w: number,
  height: number,
  h: number,
  interior: (y: number, x0: number, x1: number) => void,
): void {
  region.forEachRun((y, x0, x1) => {
    const row = y * w;
    const a = isBorderRow(y, height, h) ? x1 : Math.max(x0, h), b = Math.max(a, Math.min(x1, w - h));
    for (let x = x0; x < a; x++) dst[row + x] = src[row + x];
    for (let x = b; x < x1; x++) dst[row + x] = src[row + x];
    if (a < b) interior(y, a, b);
  });
}

/**
 * Separable median of window `size` (5, 7 or 9): dst = sepmedfiltN(src) on the pixels of `region`. `nonNegative`:
 * every value of src is +0 or more, so the int32 kernels may be used. dst may be src on a region (not the whole
 * frame, where rows are reused): the row pass reads everything before the column pass writes.
 */
export function sepMedian(
  src: Float32Array,
  dst: Float32Array,
  w: number,
  height: number,
  size: number,
  region: Region,
  tmp: Float32Array,
  nonNegative = false,
): void {
  if (src === dst && region.isAll) throw new Error("sepMedian: in place only on a region");
  const h = size >> 1;
  // Row medians wherever the column pass will read them: the region grown by h rows, interior columns.
  const rows = region.grownVertically(h);
  const lo = h, hi = w - h;
  const pairs = region.isAll;
  if (nonNegative) {
    const mid = imidFor(size);
    const [s, t, d] = [src, tmp, dst].map((a) => new Int32Array(a.buffer, a.byteOffset, a.length));
    rows.forEachRun((y, x0, x1) => {
      if (Math.max(x0, lo) < Math.min(x1, hi)) rowPassInt(s, t, y * w, Math.max(x0, lo), Math.min(x1, hi), h, mid);
    });
    interiorRuns(region, src, dst, w, height, h, (y, x0, x1) => {
      // Whole frame: rows y and y + 1 together (the next row's run is then skipped).
      if (pairs && (y - h) % 2 === 1) return;
      if (pairs && y + 1 < height - h) colPassPairInt(t, d, w, y, x0, x1, h, mid);
      else colPassInt(t, d, w, y, x0, x1, h, mid);
    });
    return;
  }
  const mid = midFor(size);
  rows.forEachRun((y, x0, x1) => {
    if (Math.max(x0, lo) < Math.min(x1, hi)) rowPass(src, tmp, y * w, Math.max(x0, lo), Math.min(x1, hi), h, mid);
  });
  interiorRuns(region, src, dst, w, height, h, (y, x0, x1) => {
    if (pairs && (y - h) % 2 === 1) return;
    if (pairs && y + 1 < height - h) colPassPair(tmp, dst, w, y, x0, x1, h, mid);
    else colPass(tmp, dst, w, y, x0, x1, h, mid);
  });
}

/**
 * Square-window median of side `size` (3, 5 or 7): dst = medfiltN(src) on the pixels of `region`. dst may be src
 * (the results are then held back until every window has been read).
 */
export function fullMedian(
  src: Float32Array,
  dst: Float32Array,
  w: number,
  height: number,
  size: number,
  region: Region,
): void {
  const h = size >> 1, n = size * size, k = n >> 1;
  const win = new Float64Array(n);
  const held: number[] = [];
  region.forEachRun((y, x0, x1) => {
    const row = y * w;
    const border = isBorderRow(y, height, h);
    for (let x = x0; x < x1; x++) {
      let v = src[row + x];
      if (!border && x >= h && x < w - h) {
        let c = 0;
        for (let yy = y - h; yy <= y + h; yy++) {
          const base = yy * w + x;
          for (let dx = -h; dx <= h; dx++) win[c++] = src[base + dx];
        }
        v = select(win, n, k);
      }
      if (src === dst) held.push(row + x, v);
      else dst[row + x] = v;
    }
  });
  for (let j = 0; j < held.length; j += 2) dst[held[j]] = held[j + 1];
}
