// Replacing flagged pixels between iterations (Astro-SCRAPPY's clean_* functions), in float32. Only pixels at least 2
// from every edge are cleaned, from their 5×5 neighbourhood.
import type { CleanType } from "./options.ts";
import { select } from "./median.ts";

const f = Math.fround;

// clean_idwinterp's weights: 1/distance, stored as float32 (centre 0).
// deno-fmt-ignore
const IDW = Float32Array.from([
  0.35355339, 0.4472136, 0.5, 0.4472136, 0.35355339,
  0.4472136, 0.70710678, 1, 0.70710678, 0.4472136,
  0.5, 1, 0, 1, 0.5,
  0.4472136, 0.70710678, 1, 0.70710678, 0.4472136,
  0.35355339, 0.4472136, 0.5, 0.4472136, 0.35355339,
]);

export interface CleanInput {
  w: number;
  h: number;
  crmask: Uint8Array;
  /** Bad pixels (input mask grown, saturated stars): never used as neighbours. */
  mask: Uint8Array;
  type: CleanType;
}

const win = new Float64Array(25);

/** meanmask / medmask / median value for pixel i of arr, or NaN to leave it as it is (too close to an edge). */
function cleanValue(arr: Float32Array, c: CleanInput, i: number, background: number): number {
  const { w, h, crmask, mask, type } = c;
  const y = Math.floor(i / w), x = i - y * w;
  if (x < 2 || y < 2 || x >= w - 2 || y >= h - 2) return NaN;
  if (type === "median") {
    // Unmasked median of all 25 (1.1.0's loop has a `counter =+ 1` typo and so medians uninitialised memory; this
    // is the filter it was meant to be).
    let n = 0;
    for (let l = -2; l <= 2; l++) for (let k = -2; k <= 2; k++) win[n++] = arr[i + l * w + k];
    return select(win, 25, 12);
  }
  let sum = 0, n = 0;
  for (let l = -2; l <= 2; l++) {
    for (let k = -2; k <= 2; k++) {
      const j = i + l * w + k;
      if (crmask[j] || mask[j]) continue;
      const v = arr[j];
      if (type === "meanmask") sum = f(sum + v);
      else win[n] = v; // medmask
      n++;
    }
  }
  if (n === 0) return background;
  // medmask: Astro-SCRAPPY's quickselect median, the lower one for an even count.
  return type === "meanmask" ? f(sum / n) : select(win, n, (n - 1) >> 1);
}

/** clean_idwinterp at one pixel: weighted mean of the good neighbours; background when their weights sum < 1e-6. */
function cleanIdw(arr: Float32Array, c: CleanInput, i: number, background: number): number {
  const { w, h, crmask, mask } = c;
  const y = Math.floor(i / w), x = i - y * w;
  if (x < 2 || y < 2 || x >= w - 2 || y >= h - 2) return NaN;
  let val = 0, wsum = 0;
  for (let l = -2; l <= 2; l++) {
    for (let k = -2; k <= 2; k++) {
      const j = i + l * w + k;
      if (crmask[j] || mask[j]) continue;
      const wt = IDW[(l + 2) * 5 + k + 2];
      val = f(val + f(wt * arr[j]));
      wsum = f(wsum + wt);
    }
  }
  return wsum < 1e-6 ? background : f(val / wsum);
}

/**
 * Cleans arr at the flagged pixels (ascending flat indices), in place and in row-major order like
 * the C loop, and records in `changed` whether each pixel's value changed.
 */
export function cleanArray(
  arr: Float32Array,
  c: CleanInput,
  pixels: Int32Array,
  background: number,
  changed: Uint8Array,
): void {
  const value = c.type === "idw" ? cleanIdw : cleanValue;
  for (let p = 0; p < pixels.length; p++) {
    const i = pixels[p];
    const v = value(arr, c, i, background);
    if (Number.isNaN(v)) continue;
    const old = arr[i];
    arr[i] = v;
    if (arr[i] !== old) changed[p] = 1;
  }
}
