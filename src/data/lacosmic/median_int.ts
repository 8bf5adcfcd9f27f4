// Separable-median kernels on float32 bit patterns read as int32. For non-negative floats the bit patterns order like
// the values and differ by less than 2^31, so min and max need no branch: with d = q − p, (d >> 31) is all ones
// exactly when q < p. Data-dependent branches are what makes the float version slow (about half are mispredicted
// on noisy images); this one is several times faster and returns the very same values.

/** Middle pair of an even-sized window, IMID[0] <= IMID[1] (see MID in median.ts). */
export const IMID = new Int32Array(2);

function min(p: number, q: number): number {
  const d = q - p;
  return p + (d & (d >> 31));
}

function max(p: number, q: number): number {
  const d = q - p;
  return q - (d & (d >> 31));
}

/** Middle pair of a[i], a[i+s], a[i+2s], a[i+3s]. */
export function imid4(a: Int32Array, i: number, s: number): void {
  const p = a[i], q = a[i + s], r = a[i + 2 * s], t = a[i + 3 * s];
  const u = max(min(p, q), min(r, t));
  const v = min(max(p, q), max(r, t));
  IMID[0] = min(u, v);
  IMID[1] = max(u, v);
}

/** Middle pair of six values: sort two triples, then merge-select the 3rd and 4th smallest. */
export function imid6(a: Int32Array, i: number, s: number): void {
  let a0 = a[i], a1 = a[i + s], a2 = a[i + 2 * s], t: number;
  t = min(a0, a1), a1 = max(a0, a1), a0 = t;
  t = min(a1, a2), a2 = max(a1, a2), a1 = t;
  t = min(a0, a1), a1 = max(a0, a1), a0 = t;
  let b0 = a[i + 3 * s], b1 = a[i + 4 * s], b2 = a[i + 5 * s];
  t = min(b0, b1), b1 = max(b0, b1), b0 = t;
  t = min(b1, b2), b2 = max(b1, b2), b1 = t;
  t = min(b0, b1), b1 = max(b0, b1), b0 = t;
  IMID[0] = min(min(a2, b2), min(max(a0, b1), max(a1, b0)));
  IMID[1] = max(max(a0, b0), max(min(a2, b1), min(a1, b2)));
}

/** Middle pair of eight values: sort two quadruples, then merge-select the 4th and 5th smallest. */
export function imid8(a: Int32Array, i: number, s: number): void {
  let a0 = a[i], a1 = a[i + s], a2 = a[i + 2 * s], a3 = a[i + 3 * s], t: number;
  t = min(a0, a1), a1 = max(a0, a1), a0 = t;
  t = min(a2, a3), a3 = max(a2, a3), a2 = t;
  t = min(a0, a2), a2 = max(a0, a2), a0 = t;
  t = min(a1, a3), a3 = max(a1, a3), a1 = t;
  t = min(a1, a2), a2 = max(a1, a2), a1 = t;
  let b0 = a[i + 4 * s], b1 = a[i + 5 * s], b2 = a[i + 6 * s], b3 = a[i + 7 * s];
  t = min(b0, b1), b1 = max(b0, b1), b0 = t;
  t = min(b2, b3), b3 = max(b2, b3), b2 = t;
  t = min(b0, b2), b2 = max(b0, b2), b0 = t;
  t = min(b1, b3), b3 = max(b1, b3), b1 = t;
  t = min(b1, b2), b2 = max(b1, b2), b1 = t;
  IMID[0] = min(min(min(a3, b3), max(a0, b2)), min(max(a1, b1), max(a2, b0)));
  IMID[1] = max(max(max(a0, b0), min(a3, b1)), max(min(a2, b2), min(a1, b3)));
}

export type IMidFn = (a: Int32Array, i: number, s: number) => void;

export function imidFor(size: number): IMidFn {
  if (size === 5) return imid4;
  if (size === 7) return imid6;
  if (size === 9) return imid8;
  throw new Error(`no separable median of size ${size}`);
}

/** clamp(v, IMID[0], IMID[1]): the median of the window the middle pair came from plus v. */
export function iclamp(v: number): number {
  return max(IMID[0], min(IMID[1], v));
}

/** True when every value is +0 or positive (no sign bit, no NaN): the int32 kernels then apply. */
export function nonNegative(bits: Int32Array): boolean {
  for (let i = 0; i < bits.length; i++) {
    if (bits[i] < 0 || bits[i] > 0x7f800000) return false;
  }
  return true;
}
