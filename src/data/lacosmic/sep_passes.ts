// The two passes of the separable median, in a float version (any data) and an int32 version (non-negative data,
// branchless; see median_int.ts). Both handle interior pixels only: the caller copies the border. Neighbouring
// windows share all but one value, so outputs come in pairs: one middle-pair search, two clamps.
import { MID, type MidFn } from "./median.ts";
import { iclamp, type IMidFn } from "./median_int.ts";

/** tmp[y, x] = median of src[y, x − h .. x + h] for x in [x0, x1) (all interior). */
export function rowPass(
  src: Float32Array,
  tmp: Float32Array,
  row: number,
  x0: number,
  x1: number,
  h: number,
  mid: MidFn,
): void {
  let x = x0;
  for (; x + 1 < x1; x += 2) {
    mid(src, row + x - h + 1, 1);
    const lo = MID[0], hi = MID[1];
    tmp[row + x] = Math.max(lo, Math.min(hi, src[row + x - h]));
    tmp[row + x + 1] = Math.max(lo, Math.min(hi, src[row + x + h + 1]));
  }
  if (x < x1) {
    mid(src, row + x - h + 1, 1);
    tmp[row + x] = Math.max(MID[0], Math.min(MID[1], src[row + x - h]));
  }
}

/** dst[y, x] = median of tmp[y − h .. y + h, x] for x in [x0, x1) (all interior). */
export function colPass(
  tmp: Float32Array,
  dst: Float32Array,
  w: number,
  y: number,
  x0: number,
  x1: number,
  h: number,
  mid: MidFn,
): void {
  const row = y * w, top = (y - h) * w, first = (y - h + 1) * w;
  for (let x = x0; x < x1; x++) {
    mid(tmp, first + x, w);
    dst[row + x] = Math.max(MID[0], Math.min(MID[1], tmp[top + x]));
  }
}

/** colPass for rows y and y + 1 at once. */
export function colPassPair(
  tmp: Float32Array,
  dst: Float32Array,
  w: number,
  y: number,
  x0: number,
  x1: number,
  h: number,
  mid: MidFn,
): void {
  const row = y * w, top = (y - h) * w, first = (y - h + 1) * w, bottom = (y + h + 1) * w;
  for (let x = x0; x < x1; x++) {
    mid(tmp, first + x, w);
    const lo = MID[0], hi = MID[1];
    dst[row + x] = Math.max(lo, Math.min(hi, tmp[top + x]));
    dst[row + w + x] = Math.max(lo, Math.min(hi, tmp[bottom + x]));
  }
}

export function rowPassInt(
  src: Int32Array,
  tmp: Int32Array,
  row: number,
  x0: number,
  x1: number,
  h: number,
  mid: IMidFn,
): void {
  let x = x0;
  for (; x + 1 < x1; x += 2) {
    mid(src, row + x - h + 1, 1);
    tmp[row + x] = iclamp(src[row + x - h]);
    tmp[row + x + 1] = iclamp(src[row + x + h + 1]);
  }
  if (x < x1) {
    mid(src, row + x - h + 1, 1);
    tmp[row + x] = iclamp(src[row + x - h]);
  }
}

export function colPassInt(
  tmp: Int32Array,
  dst: Int32Array,
  w: number,
  y: number,
  x0: number,
  x1: number,
  h: number,
  mid: IMidFn,
): void {
  const row = y * w, top = (y - h) * w, first = (y - h + 1) * w;
  for (let x = x0; x < x1; x++) {
    mid(tmp, first + x, w);
    dst[row + x] = iclamp(tmp[top + x]);
  }
}

export function colPassPairInt(
  tmp: Int32Array,
  dst: Int32Array,
  w: number,
  y: number,
  x0: number,
  x1: number,
  h: number,
  mid: IMidFn,
): void {
  const row = y * w, top = (y - h) * w, first = (y - h + 1) * w, bottom = (y + h + 1) * w;
  for (let x = x0; x < x1; x++) {
    mid(tmp, first + x, w);
    dst[row + x] = iclamp(tmp[top + x]);
    dst[row + w + x] = iclamp(tmp[bottom + x]);
  }
}
