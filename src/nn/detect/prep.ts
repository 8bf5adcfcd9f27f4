// What the network sees: non-finite pixels filled, the chosen normalisation, and mirror padding to the size the
// UNet accepts. Statistics are taken once over the whole image, so every tile of a large image sees the same scale.

/**
 * Pixel normalisation before the network.
 * - `none`: pixels unchanged (raw ADU with the sky in; the paper's DECam models were trained on such images, and
 *   the PyTorch parity tests feed them this way).
 * - `median`: subtract the median of the finite pixels (Cosmic-CoNN's `detect_cr`; its LCO model expects it).
 * - `zscore`: (x − m) / s, m and s the median and standard deviation of the pixels below the image's median
 *   (deepCR's optional `norm` at its default 50th percentile).
 * - `scale:K`: divide by K (deepCR's per-model `scale`: 1 for its DECam model, 100 for its HST ACS/WFC models).
 * - `sigma`: (x − m) / σ, m the median and σ = 1.4826 × the median absolute deviation from it: the image in units
 *   of its background noise, whatever the gain, bias or sky level (our models trained on randomised data).
 */
export type Normalize = "none" | "median" | "zscore" | "sigma" | `scale:${number}`;

/** One line per mode, for `--help`. */
export const NORMALIZE_HELP: readonly [string, string][] = [
  ["none", "pixels unchanged (the paper's DECam models; parity tests)"],
  ["median", "subtract the median of the finite pixels (Cosmic-CoNN's detect_cr)"],
  ["zscore", "(x - m) / s with m, s the median and std of the pixels below the median (deepCR's norm)"],
  ["sigma", "(x - median) / (1.4826 MAD): units of the background noise (models trained on randomised data)"],
  ["scale:K", "divide by K (deepCR's per-model scale: 1 DECam, 100 HST ACS/WFC)"],
];

/** Parses a mode name as given on a command line or in checkpoint metadata; throws naming the valid modes. */
export function parseNormalize(text: string): Normalize {
  const s = text.trim();
  if (s === "none" || s === "median" || s === "zscore" || s === "sigma") return s;
  const m = /^scale:(.+)$/.exec(s);
  if (m) {
    const k = Number(m[1]);
    if (Number.isFinite(k) && k > 0) return `scale:${k}`;
    throw new RangeError(`normalize "${text}": scale:K needs a positive number K`);
  }
  throw new RangeError(`unknown normalize mode "${text}" (known: none, median, zscore, sigma, scale:K)`);
}

/** The k-th smallest value of `a` (0-based); reorders `a`. Hoare-partition quickselect, O(n) expected. */
export function selectKth(a: Float32Array, k: number): number {
  let lo = 0, hi = a.length - 1;
  while (hi > lo) {
    const pivot = median3(a[lo], a[(lo + hi) >> 1], a[hi]);
    let i = lo, j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i++] = a[j];
        a[j--] = t;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k];
  }
  return a[k];
}

function median3(x: number, y: number, z: number): number {
  return Math.max(Math.min(x, y), Math.min(Math.max(x, y), z));
}

/** numpy's percentile(…, 50): the mean of the two middle values for an even count. Reorders `a`. */
function midpoint(a: Float32Array): number {
  const n = a.length;
  const upper = selectKth(a, n >> 1);
  if (n % 2) return upper;
  // After the select every value left of n/2 is ≤ upper: the lower middle is their maximum.
  let lower = -Infinity;
  for (let i = 0; i < n >> 1; i++) if (a[i] > lower) lower = a[i];
  return (lower + upper) / 2;
}

export interface Prepared {
  /** Normalised pixels, all finite. */
  pixels: Float32Array;
  /** Count of NaN/±Inf input pixels (filled with the median, output probability 0). */
  nonFinite: number;
  /** Median of the finite input pixels (torch.median's lower median; 0 if there are none). */
  median: number;
}

/**
 * Fills non-finite pixels with the median of the finite ones (a sky-like value, so no artificial edge appears
 * around a masked region), then normalises. Arithmetic is float32 like PyTorch's `tensor -= median`.
 */
export function prepareImage(image: Float32Array, normalize: Normalize): Prepared {
  const finite = new Float32Array(image.length);
  let n = 0;
  for (let i = 0; i < image.length; i++) if (Number.isFinite(image[i])) finite[n++] = image[i];
  const values = finite.subarray(0, n);
  const median = n > 0 ? selectKth(values, (n - 1) >> 1) : 0;
  let shift = 0, divide = 1;
  if (normalize === "median") shift = median;
  else if (normalize.startsWith("scale:")) divide = Number(normalize.slice(6));
  else if (normalize === "zscore" && n > 0) [shift, divide] = lowHalfStats(values);
  else if (normalize === "sigma" && n > 0) [shift, divide] = [median, madSigma(values, median)];
  const pixels = new Float32Array(image.length);
  for (let i = 0; i < image.length; i++) {
    const v = Number.isFinite(image[i]) ? image[i] : median;
    pixels[i] = Math.fround(v - shift) / divide;
  }
  for (let i = 0; i < pixels.length; i++) {
    if (!Number.isFinite(pixels[i])) throw new RangeError(`normalize ${normalize}: pixel ${i} overflows float32`);
  }
  return { pixels, nonFinite: image.length - n, median };
}

/** 1.4826 × the median absolute deviation from `median` (the noise σ of a Gaussian background); 1 if it is 0. */
function madSigma(values: Float32Array, median: number): number {
  const dev = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) dev[i] = Math.abs(values[i] - median);
  const mad = selectKth(dev, (dev.length - 1) >> 1);
  return mad > 0 ? 1.4826 * mad : 1;
}

/** deepCR's norm: median and population std of the values below the 50th percentile (std 1 if degenerate). */
function lowHalfStats(values: Float32Array): [number, number] {
  const limit = midpoint(values);
  const low = values.filter((v) => v < limit);
  if (low.length === 0) return [limit, 1];
  let sum = 0;
  for (const v of low) sum += v;
  const mean = sum / low.length;
  let sq = 0;
  for (const v of low) sq += (v - mean) ** 2;
  const std = Math.sqrt(sq / low.length);
  return [midpoint(low), std > 0 ? std : 1];
}

/** Index into a length-`n` axis, mirrored with the edge pixel repeated (numpy's "symmetric"; any n ≥ 1). */
export function mirror(i: number, n: number): number {
  const period = 2 * n;
  const j = ((i % period) + period) % period;
  return j < n ? j : period - 1 - j;
}

/** The image extended right and down to `pw` × `ph` by mirroring (pads of any size, even past a 1-pixel image). */
export function padImage(src: Float32Array, w: number, h: number, pw: number, ph: number): Float32Array {
  if (pw === w && ph === h) return src;
  const out = new Float32Array(pw * ph);
  for (let y = 0; y < ph; y++) {
    const row = mirror(y, h) * w;
    for (let x = 0; x < pw; x++) out[y * pw + x] = src[row + (x < w ? x : mirror(x, w))];
  }
  return out;
}
