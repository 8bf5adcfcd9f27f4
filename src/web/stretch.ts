// Display stretches for astronomical images: IRAF's zscale (as astropy's ZScaleInterval computes it) and an asinh
// stretch, mapped to 8-bit grey. NaN/Inf pixels are left out of the statistics and drawn black.

export type Stretch = "zscale" | "asinh";

/** Options of astropy.visualization.ZScaleInterval, with its defaults. */
export interface ZScaleOptions {
  nSamples?: number;
  contrast?: number;
  maxReject?: number;
  minPixels?: number;
  krej?: number;
  maxIterations?: number;
}

/** Every `stride`-th finite pixel, at most `n` of them, sorted (astropy: values[isfinite][::stride][:n]). */
function sample(data: ArrayLike<number>, n: number): Float64Array {
  let finite = 0;
  for (let i = 0; i < data.length; i++) if (Number.isFinite(data[i])) finite++;
  const stride = Math.max(1, Math.trunc(finite / n));
  const out: number[] = [];
  let k = 0;
  for (let i = 0; i < data.length && out.length < n; i++) {
    if (!Number.isFinite(data[i])) continue;
    if (k++ % stride === 0) out.push(data[i]);
  }
  return Float64Array.from(out).sort();
}

/** Weighted (0/1) least-squares line through (i, y[i]) for the good points: [slope, intercept]. */
function fitLine(y: Float64Array, bad: Uint8Array): [number, number] {
  let n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (let i = 0; i < y.length; i++) {
    if (bad[i]) continue;
    n++;
    sx += i;
    sy += y[i];
    sxx += i * i;
    sxy += i * y[i];
  }
  const den = n * sxx - sx * sx;
  const slope = den === 0 ? 0 : (n * sxy - sx * sy) / den;
  return [slope, (sy - slope * sx) / n];
}

/**
 * zscale limits [vmin, vmax] (astropy's ZScaleInterval.get_limits): a line is fitted to the sorted samples with
 * iterative k-sigma rejection (rejected runs grown by 1% of the samples); its slope / contrast around the median
 * gives the range. Falls back to the samples' min and max when too many are rejected.
 */
export function zscale(data: ArrayLike<number>, opts: ZScaleOptions = {}): [number, number] {
  const nSamples = opts.nSamples ?? 1000, contrast = opts.contrast ?? 0.25, maxReject = opts.maxReject ?? 0.5;
  const minPixels = opts.minPixels ?? 5, krej = opts.krej ?? 2.5, maxIterations = opts.maxIterations ?? 5;
  const s = sample(data, nSamples);
  const npix = s.length;
  if (npix === 0) return [0, 1];
  let vmin = s[0], vmax = s[npix - 1];
  const minpix = Math.max(minPixels, Math.trunc(npix * maxReject));
  const ngrow = Math.max(1, Math.trunc(npix * 0.01));
  let bad = new Uint8Array(npix);
  let ngood = npix, lastNgood = npix + 1;
  let slope = 0;
  for (let it = 0; it < maxIterations; it++) {
    if (ngood >= lastNgood || ngood < minpix) break;
    const [a, b] = fitLine(s, bad);
    slope = a;
    const flat = s.map((v, i) => v - (a * i + b));
    let n = 0, mean = 0;
    for (let i = 0; i < npix; i++) if (!bad[i]) [n, mean] = [n + 1, mean + flat[i]];
    mean /= n;
    let sq = 0;
    for (let i = 0; i < npix; i++) if (!bad[i]) sq += (flat[i] - mean) ** 2;
    const threshold = krej * Math.sqrt(sq / n);
    for (let i = 0; i < npix; i++) if (flat[i] < -threshold || flat[i] > threshold) bad[i] = 1;
    // numpy.convolve(bad, ones(ngrow), mode="same"): out[i] covers bad[i − ngrow + 1 + h … i + h], h = (ngrow−1)//2.
    const h = (ngrow - 1) >> 1, grown = new Uint8Array(npix);
    for (let i = 0; i < npix; i++) {
      for (let j = Math.max(0, i - ngrow + 1 + h); j <= Math.min(npix - 1, i + h); j++) {
        if (bad[j]) {
          grown[i] = 1;
          break;
        }
      }
    }
    bad = grown;
    lastNgood = ngood;
    ngood = npix - bad.reduce((acc, v) => acc + v, 0);
  }
  if (ngood >= minpix) {
    if (contrast > 0) slope /= contrast;
    const center = Math.trunc((npix - 1) / 2);
    const median = npix % 2 ? s[npix >> 1] : (s[npix / 2 - 1] + s[npix / 2]) / 2;
    vmin = Math.max(vmin, median - (center - 1) * slope);
    vmax = Math.min(vmax, median + (npix - center) * slope);
  }
  return [vmin, vmax];
}

/** Largest finite value (the asinh stretch's upper limit, so the brightest CRs keep their shape). */
function finiteMax(data: ArrayLike<number>): number {
  let m = -Infinity;
  for (let i = 0; i < data.length; i++) if (data[i] > m && Number.isFinite(data[i])) m = data[i];
  return m;
}

/** asinh(x / a) / asinh(1 / a) on x = (v − lo) / (hi − lo) clipped to [0, 1] (astropy's AsinhStretch; its default a). */
export function asinhStretch(x: number, a = 0.1): number {
  const c = Math.min(1, Math.max(0, x));
  return Math.asinh(c / a) / Math.asinh(1 / a);
}

/**
 * The softening `a` for which asinhStretch(x, a) = 0.5: with x the zscale upper limit on the asinh scale, the
 * zscale range (sky and faint sources) takes the lower half of the grey levels and everything up to the brightest
 * pixel the upper half. The ratio falls from 1 (a → 0) to x (a → ∞) as a grows, so bisection on log a finds it;
 * when x ≥ 0.5 no compression is needed and a large a (nearly linear) is returned.
 */
export function asinhSoftening(x: number): number {
  if (!(x > 0) || x >= 0.5) return 1e3;
  let lo = Math.log(1e-8), hi = Math.log(1e3);
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (asinhStretch(x, Math.exp(mid)) > 0.5) lo = mid;
    else hi = mid;
  }
  return Math.exp((lo + hi) / 2);
}

/** 8-bit grey levels of the image under a stretch, the limits used, and the asinh softening (asinh only). */
export function greyLevels(
  data: ArrayLike<number>,
  stretch: Stretch,
): { grey: Uint8Array; lo: number; hi: number; a?: number } {
  const [zlo, zhi] = zscale(data);
  const lo = zlo;
  const hi = stretch === "zscale" ? zhi : Math.max(finiteMax(data), zhi);
  const span = hi > lo ? hi - lo : 1;
  const a = stretch === "asinh" ? asinhSoftening((zhi - lo) / span) : undefined;
  const grey = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (!Number.isFinite(v)) continue;
    const x = (v - lo) / span;
    const y = a === undefined ? Math.min(1, Math.max(0, x)) : asinhStretch(x, a);
    grey[i] = Math.round(255 * y);
  }
  return { grey, lo, hi, a };
}
