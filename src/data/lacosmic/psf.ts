// PSF kernels for fsmode 'convolve', computed as Astro-SCRAPPY 1.1.0 does: float64 profile values on an integer grid
// centred on the middle pixel, stored as float32, then divided by their float32 sum (NumPy's pairwise summation).
import type { PsfKernel, PsfModel } from "./options.ts";

const f = Math.fround;

/** NumPy's pairwise float32 sum (8 accumulators up to 128 values, halving above), for identical normalisation. */
export function pairwiseSum32(a: Float32Array, start = 0, n = a.length): number {
  if (n < 8) {
    let res = 0;
    for (let i = 0; i < n; i++) res = f(res + a[start + i]);
    return res;
  }
  if (n <= 128) {
    const r = Array.from(a.subarray(start, start + 8));
    let i = 8;
    for (; i < n - (n % 8); i += 8) {
      for (let j = 0; j < 8; j++) r[j] = f(r[j] + a[start + i + j]);
    }
    let res = f(f(f(r[0] + r[1]) + f(r[2] + r[3])) + f(f(r[4] + r[5]) + f(r[6] + r[7])));
    for (; i < n; i++) res = f(res + a[start + i]);
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return f(pairwiseSum32(a, start, n2) + pairwiseSum32(a, start + n2, n - n2));
}

/**
 * The kernel Astro-SCRAPPY builds for psfmodel / psffwhm / psfsize (and psfbeta for 'moffat'). psffwhm and psfbeta
 * must already be float32 values (they are C floats there).
 */
export function psfKernel(model: PsfModel, fwhm: number, size: number, beta: number): PsfKernel {
  const data = new Float32Array(size * size);
  const half = size >> 1;
  // `psffwhm * psffwhm` is a float32 product in the Cython source; the divisions are in float64.
  const sigma2 = f(fwhm * fwhm) / 2.35482 / 2.35482;
  const alpha = fwhm / 2.0 / Math.sqrt(Math.pow(2.0, 1.0 / beta) - 1.0);
  for (let j = 0; j < size; j++) {
    for (let i = 0; i < size; i++) {
      const x = i - half, y = j - half;
      let v: number;
      if (model === "gauss") v = Math.exp(-0.5 * (x * x + y * y) / sigma2);
      else if (model === "gaussx") v = Math.exp(-0.5 * (x * x) / sigma2);
      else if (model === "gaussy") v = Math.exp(-0.5 * (y * y) / sigma2);
      else {
        const r = Math.sqrt(x * x + y * y);
        v = Math.pow(1.0 + r * r / alpha / alpha, -1.0 * beta);
      }
      data[j * size + i] = v;
    }
  }
  const sum = pairwiseSum32(data);
  for (let k = 0; k < data.length; k++) data[k] = data[k] / sum;
  return { data, width: size, height: size };
}
