// Exact medians of small and large sets of float32 values. Any exact method returns the same value as Astro-SCRAPPY's
// sorting networks and quickselect, so these are written for speed. Inputs are NaN-free (detectCosmics replaces
// non-finite pixels before any filter runs).

/**
 * The two middle values of an even-sized window, left in `MID[0] <= MID[1]`. A median of 2h + 1 values whose last
 * 2h are that window is then clamp(first, MID[0], MID[1]); two neighbouring windows of a sliding median share 2h
 * values, so each pair of outputs costs one middle-pair search plus two clamps.
 */
export const MID = new Float64Array(2);

/** Middle pair of a[i], a[i+s], a[i+2s], a[i+3s]. */
export function mid4(a: Float32Array, i: number, s: number): void {
  const p = a[i], q = a[i + s], r = a[i + 2 * s], t = a[i + 3 * s];
  // Sorted pairs (p,q) and (r,t): the middle two are the larger minimum and the smaller maximum.
  const u = Math.max(Math.min(p, q), Math.min(r, t));
  const v = Math.min(Math.max(p, q), Math.max(r, t));
  MID[0] = Math.min(u, v);
  MID[1] = Math.max(u, v);
}

/** Middle pair of six values at stride s: sort two triples, then merge-select the 3rd and 4th smallest. */
export function mid6(a: Float32Array, i: number, s: number): void {
  let a0 = a[i], a1 = a[i + s], a2 = a[i + 2 * s];
  let b0 = a[i + 3 * s], b1 = a[i + 4 * s], b2 = a[i + 5 * s];
  let t: number;
  if (a0 > a1) (t = a0, a0 = a1, a1 = t);
  if (a1 > a2) (t = a1, a1 = a2, a2 = t);
  if (a0 > a1) (t = a0, a0 = a1, a1 = t);
  if (b0 > b1) (t = b0, b0 = b1, b1 = t);
  if (b1 > b2) (t = b1, b1 = b2, b2 = t);
  if (b0 > b1) (t = b0, b0 = b1, b1 = t);
  MID[0] = Math.min(a2, b2, Math.max(a0, b1), Math.max(a1, b0));
  MID[1] = Math.max(a0, b0, Math.min(a2, b1), Math.min(a1, b2));
}

/** Middle pair of eight values at stride s: sort two quadruples, then merge-select the 4th and 5th smallest. */
export function mid8(a: Float32Array, i: number, s: number): void {
  let a0 = a[i], a1 = a[i + s], a2 = a[i + 2 * s], a3 = a[i + 3 * s];
  let b0 = a[i + 4 * s], b1 = a[i + 5 * s], b2 = a[i + 6 * s], b3 = a[i + 7 * s];
  let t: number;
  if (a0 > a1) (t = a0, a0 = a1, a1 = t);
  if (a2 > a3) (t = a2, a2 = a3, a3 = t);
  if (a0 > a2) (t = a0, a0 = a2, a2 = t);
  if (a1 > a3) (t = a1, a1 = a3, a3 = t);
  if (a1 > a2) (t = a1, a1 = a2, a2 = t);
  if (b0 > b1) (t = b0, b0 = b1, b1 = t);
  if (b2 > b3) (t = b2, b2 = b3, b3 = t);
  if (b0 > b2) (t = b0, b0 = b2, b2 = t);
  if (b1 > b3) (t = b1, b1 = b3, b3 = t);
  if (b1 > b2) (t = b1, b1 = b2, b2 = t);
  MID[0] = Math.min(a3, b3, Math.max(a0, b2), Math.max(a1, b1), Math.max(a2, b0));
  MID[1] = Math.max(a0, b0, Math.min(a3, b1), Math.min(a2, b2), Math.min(a1, b3));
}

export type MidFn = (a: Float32Array, i: number, s: number) => void;

/** Middle-pair function for a window of `size` (odd: 5, 7 or 9) values. */
export function midFor(size: number): MidFn {
  if (size === 5) return mid4;
  if (size === 7) return mid6;
  if (size === 9) return mid8;
  throw new Error(`no separable median of size ${size}`);
}

/**
 * The k-th smallest (0-based) of a[0..n), by quickselect; reorders a. With k = (n − 1) >> 1 this is Astro-SCRAPPY's
 * `median` (its quickselect returns the lower median for even n).
 */
export function select(a: Float32Array | Float64Array, n: number, k: number): number {
  let lo = 0, hi = n - 1;
  while (hi > lo) {
    // Median of three as pivot keeps sorted and constant inputs linear.
    const mid = (lo + hi) >> 1;
    let t: number;
    if (a[mid] < a[lo]) (t = a[mid], a[mid] = a[lo], a[lo] = t);
    if (a[hi] < a[lo]) (t = a[hi], a[hi] = a[lo], a[lo] = t);
    if (a[hi] < a[mid]) (t = a[hi], a[hi] = a[mid], a[mid] = t);
    const pivot = a[mid];
    let i = lo, j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        t = a[i], a[i] = a[j], a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k];
  }
  return a[k];
}

/** float32 bit pattern → unsigned key with the same order as the values (negatives reversed, sign bit flipped). */
function key(bits: number): number {
  return (bits & 0x80000000 ? ~bits : bits | 0x80000000) >>> 0;
}

/**
 * The lower median of the values whose `skip` entry is 0 (Astro-SCRAPPY's `median` of the unmasked pixels), by a
 * two-pass radix select on the float32 bit patterns: linear time, no copy. NaN if every value is skipped.
 */
export function maskedMedian(values: Float32Array, skip: Uint8Array): number {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const hist = new Uint32Array(65536);
  let count = 0;
  for (let i = 0; i < bits.length; i++) {
    if (skip[i]) continue;
    hist[key(bits[i]) >>> 16]++;
    count++;
  }
  if (count === 0) return NaN;
  let k = (count - 1) >> 1;
  let high = 0;
  while (k >= hist[high]) k -= hist[high++];
  hist.fill(0);
  for (let i = 0; i < bits.length; i++) {
    if (skip[i]) continue;
    const kk = key(bits[i]);
    if (kk >>> 16 === high) hist[kk & 0xffff]++;
  }
  let low = 0;
  while (k >= hist[low]) k -= hist[low++];
  const found = ((high << 16) | low) >>> 0;
  const out = new Uint32Array(1);
  out[0] = found & 0x80000000 ? found & 0x7fffffff : ~found;
  return new Float32Array(out.buffer)[0];
}
