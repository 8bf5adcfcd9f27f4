// Injecting dark-frame cosmic rays into a science frame (the paper's recipe, eq. for C):
//   C = U + k_c · (σ_U / σ_D) · (D − d₀) ⊙ M,   k_c = 1/8
// U: a CR-free science frame, D: a dark frame, d₀: the dark's background level (bias + dark current; default its
// median, so only CR charge is added), M: the dark's CR mask, σ: the noise of each frame (default: 3σ-clipped
// standard deviation). The full dataset recipe — LACosmic-cleaning U and building M from the dark by median + 3σ
// thresholding — belongs to the dataset builder; this is only the arithmetic.

export const KC = 1 / 8;

export interface InjectOptions {
  kc?: number;
  sigmaScience?: number;
  sigmaDark?: number;
  darkLevel?: number;
}

export interface Injected {
  image: Float32Array;
  /** The CR mask of the result (a copy of M). */
  mask: Uint8Array;
  sigmaScience: number;
  sigmaDark: number;
  darkLevel: number;
  /** The factor applied to (D − d₀): k_c σ_U / σ_D. */
  factor: number;
}

function median(sorted: Float64Array, n: number): number {
  if (n === 0) return 0;
  return n % 2 ? sorted[(n - 1) / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
}

/**
 * Background level and noise σ of an image: median and standard deviation after iterative 3σ clipping about the
 * median (astropy's sigma_clipped_stats defaults, up to 10 iterations), on a strided sample of at most 2^20
 * pixels (deterministic). Clipping rather than the MAD because readouts are integers: at gain 4 the dark's σ is
 * under 2 ADU, where the MAD is too coarse. Pixels with skip[i] set are left out.
 */
export function robustSigma(values: Float32Array, skip?: Uint8Array): { median: number; sigma: number } {
  const stride = Math.max(1, Math.floor(values.length / (1 << 20)));
  const picked: number[] = [];
  for (let i = 0; i < values.length; i += stride) if (!skip || !skip[i]) picked.push(values[i]);
  const sorted = Float64Array.from(picked).sort();
  let lo = 0, hi = sorted.length; // the kept values are sorted[lo, hi)
  let center = 0, sigma = 0;
  for (let iter = 0; iter < 10; iter++) {
    const n = hi - lo;
    center = median(sorted.subarray(lo, hi), n);
    let sum = 0, sum2 = 0;
    for (let i = lo; i < hi; i++) (sum += sorted[i]), (sum2 += sorted[i] * sorted[i]);
    const mean = n > 0 ? sum / n : 0;
    sigma = n > 0 ? Math.sqrt(Math.max(0, sum2 / n - mean * mean)) : 0;
    let newLo = lo, newHi = hi;
    while (newLo < newHi && sorted[newLo] < center - 3 * sigma) newLo++;
    while (newHi > newLo && sorted[newHi - 1] > center + 3 * sigma) newHi--;
    if (newLo === lo && newHi === hi) break;
    (lo = newLo), (hi = newHi);
  }
  return { median: center, sigma };
}

export function injectCosmics(
  science: Float32Array,
  dark: Float32Array,
  darkMask: Uint8Array,
  opts: InjectOptions = {},
): Injected {
  const n = science.length;
  if (dark.length !== n || darkMask.length !== n) {
    throw new Error(`injectCosmics: sizes differ (science ${n}, dark ${dark.length}, mask ${darkMask.length})`);
  }
  const kc = opts.kc ?? KC;
  const sigmaScience = opts.sigmaScience ?? robustSigma(science).sigma;
  const darkStats = opts.sigmaDark === undefined || opts.darkLevel === undefined
    ? robustSigma(dark, darkMask)
    : undefined;
  const sigmaDark = opts.sigmaDark ?? darkStats!.sigma;
  const darkLevel = opts.darkLevel ?? darkStats!.median;
  if (!(sigmaDark > 0)) throw new Error("injectCosmics: the dark's noise σ must be positive");
  const factor = kc * sigmaScience / sigmaDark;
  const image = new Float32Array(n);
  for (let i = 0; i < n; i++) image[i] = darkMask[i] ? science[i] + factor * (dark[i] - darkLevel) : science[i];
  return { image, mask: darkMask.slice(), sigmaScience, sigmaDark, darkLevel, factor };
}
