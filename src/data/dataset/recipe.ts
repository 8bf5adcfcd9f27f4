// The paper's §2.1.1 recipe on in-memory frames (shared by buildDataset, from FITS, and synthDataset, from the
// simulator):
//   1. U = the science frame cleaned by LACosmic, flagged pixels replaced by the 5×5 median (cleantype "median");
//   2. for a dark D: d₀, σ_D = 3σ-clipped median and standard deviation (the clipping leaves CR pixels out);
//      M = D > d₀ + 3σ_D, dilated 3×3; connected components of M touching the frame's edges are dropped;
//   3. C = U + k_c · (σ_U / σ_D) · (D − d₀) ⊙ M, k_c = 1/8, σ_U the background noise of U (3σ-clipped σ);
//   4. C, M and IGNORE (saturated / non-finite / bad pixels of the science frame) cut into patch × patch chunks,
//      each with its sky level = the median of U over the chunk's usable pixels.
import { detectCosmics, type LacosmicOptions } from "../lacosmic.ts";
import { injectCosmics, KC, robustSigma } from "../synth/inject.ts";

export interface RecipeParams {
  patch: number;
  /** k_c (1/8). */
  kc: number;
  /** Dark threshold, σ_D above the dark's median (3). */
  darkSigma: number;
  /** A component of the thresholded dark is kept only if one of its pixels is above d₀ + darkSeedSigma·σ_D (5);
   * 0 keeps every component (the paper's text). Without it, the 0.1% of pure read-noise pixels above 3σ become
   * 3×3 "cosmic rays" that outnumber the real ones in short darks (see the dataset README). */
  darkSeedSigma: number;
  /** LACosmic keywords for cleaning the science frames (cleantype is always "median"). */
  lacosmic: LacosmicOptions;
  /** A chunk is dropped when more than this fraction of its pixels is ignored (0.5). */
  maxIgnored: number;
}

export const DEFAULT_RECIPE: RecipeParams = {
  patch: 256,
  kc: KC,
  darkSigma: 3,
  darkSeedSigma: 5,
  lacosmic: { sigclip: 4.5, sigfrac: 0.3, objlim: 5, niter: 4, sepmed: true, cleantype: "median" },
  maxIgnored: 0.5,
};

export interface Frame {
  data: Float32Array;
  width: number;
  height: number;
}

export interface CleanedScience extends Frame {
  /** 1 = saturated, non-finite or bad (in the bad-pixel mask): never scored, never injected into. */
  ignore: Uint8Array;
  /** Pixels LACosmic flagged (and replaced), and where. */
  flagged: number;
  lacosmicMask: Uint8Array;
}

/** Step 1: LACosmic-clean a science frame. `gain` e⁻/ADU, `readnoise` e⁻, `saturation` ADU (Infinity for none). */
export function cleanScience(
  science: Frame,
  det: { gain: number; readnoise: number; saturation: number; badPixels?: Uint8Array },
  params: RecipeParams = DEFAULT_RECIPE,
): CleanedScience {
  const { data, width, height } = science;
  const n = width * height;
  const ignore = new Uint8Array(n);
  let finite = 0;
  for (let i = 0; i < n; i++) {
    const v = data[i];
    if (!Number.isFinite(v) || v >= det.saturation || det.badPixels?.[i]) ignore[i] = 1;
    if (Number.isFinite(v)) finite++;
  }
  if (finite === 0) throw new Error("every pixel is NaN or infinite");
  const satlevel = Number.isFinite(det.saturation) ? det.saturation * det.gain : undefined;
  const { mask, clean } = detectCosmics(data, width, height, {
    ...params.lacosmic,
    cleantype: "median",
    gain: det.gain,
    readnoise: det.readnoise,
    ...(satlevel === undefined ? {} : { satlevel }),
    inmask: det.badPixels,
  });
  let flagged = 0;
  for (let i = 0; i < n; i++) flagged += mask[i];
  return { data: clean, width, height, ignore, flagged, lacosmicMask: mask };
}

/** 3 × 3 dilation (8-neighbourhood; pixels outside the frame count as 0). */
export function dilate3x3(mask: Uint8Array, width: number, height: number): Uint8Array {
  const out = new Uint8Array(mask.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (!mask[y * width + x]) continue;
      for (let dy = -1; dy <= 1; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          if (xx >= 0 && xx < width) out[yy * width + xx] = 1;
        }
      }
    }
  }
  return out;
}

/** Clears the 8-connected components of `mask` that touch the frame's edges; returns how many were cleared. */
export function dropEdgeComponents(mask: Uint8Array, width: number, height: number): number {
  const stack: number[] = [];
  let dropped = 0;
  const clearFrom = (start: number) => {
    if (!mask[start]) return;
    dropped++;
    mask[start] = 0;
    stack.push(start);
    while (stack.length) {
      const p = stack.pop()!, x = p % width, y = (p - x) / width;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx, yy = y + dy, q = yy * width + xx;
          if (xx >= 0 && xx < width && yy >= 0 && yy < height && mask[q]) (mask[q] = 0), stack.push(q);
        }
      }
    }
  };
  for (let x = 0; x < width; x++) clearFrom(x), clearFrom((height - 1) * width + x);
  for (let y = 0; y < height; y++) clearFrom(y * width), clearFrom(y * width + width - 1);
  return dropped;
}

/** Clears the 8-connected components of `mask` with no pixel of `data` above `seed`; returns the pixels cleared. */
export function keepSeeded(mask: Uint8Array, data: Float32Array, width: number, height: number, seed: number): number {
  const label = new Int32Array(mask.length).fill(-1);
  const stack: number[] = [], members: number[] = [];
  let cleared = 0;
  for (let start = 0; start < mask.length; start++) {
    if (!mask[start] || label[start] >= 0) continue;
    members.length = 0;
    let seeded = false;
    label[start] = start;
    stack.push(start);
    while (stack.length) {
      const p = stack.pop()!, x = p % width, y = (p - x) / width;
      members.push(p);
      if (data[p] > seed) seeded = true;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx, yy = y + dy, q = yy * width + xx;
          if (xx >= 0 && xx < width && yy >= 0 && yy < height && mask[q] && label[q] < 0) {
            (label[q] = start), stack.push(q);
          }
        }
      }
    }
    if (!seeded) { for (const p of members) (mask[p] = 0), cleared++; }
  }
  return cleared;
}

export interface DarkMask {
  /** M: thresholded, dilated, edge components dropped. */
  mask: Uint8Array;
  /** d₀ and σ_D (3σ-clipped, non-finite pixels left out). */
  level: number;
  sigma: number;
  /** Pixels above the threshold, before dilation; and how many of them the seed criterion removed. */
  above: number;
  unseeded: number;
  /** Components dropped for touching an edge. */
  edgeDropped: number;
}

/** Step 2: the dark's CR mask. */
export function darkMask(dark: Frame, params: RecipeParams = DEFAULT_RECIPE): DarkMask {
  const { data, width, height } = dark;
  const n = width * height;
  const bad = new Uint8Array(n);
  let finite = 0;
  for (let i = 0; i < n; i++) Number.isFinite(data[i]) ? finite++ : (bad[i] = 1);
  if (finite === 0) throw new Error("every pixel is NaN or infinite");
  const { median: level, sigma } = robustSigma(data, bad);
  if (!(sigma > 0)) throw new Error("has no noise (its 3σ-clipped standard deviation is 0): not a dark frame?");
  const threshold = level + params.darkSigma * sigma;
  const raw = new Uint8Array(n);
  let above = 0;
  for (let i = 0; i < n; i++) if (data[i] > threshold) (raw[i] = 1), above++;
  const unseeded = params.darkSeedSigma > 0
    ? keepSeeded(raw, data, width, height, level + params.darkSeedSigma * sigma)
    : 0;
  const mask = dilate3x3(raw, width, height);
  const edgeDropped = dropEdgeComponents(mask, width, height);
  return { mask, level, sigma, above, unseeded, edgeDropped };
}

/** The top-left width × height part of a frame (frames of different sizes are paired on their overlap). */
export function crop(frame: Frame, width: number, height: number): Frame {
  if (frame.width === width && frame.height === height) return frame;
  const out = new Float32Array(width * height);
  for (let y = 0; y < height; y++) out.set(frame.data.subarray(y * frame.width, y * frame.width + width), y * width);
  return { data: out, width, height };
}

export function cropMask(mask: Uint8Array, fromWidth: number, width: number, height: number): Uint8Array {
  if (fromWidth === width && mask.length === width * height) return mask;
  const out = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) out.set(mask.subarray(y * fromWidth, y * fromWidth + width), y * width);
  return out;
}

export interface Injection {
  /** C, with non-finite pixels still non-finite (cutChunks fills them). */
  image: Float32Array;
  mask: Uint8Array;
  ignore: Uint8Array;
  sigmaScience: number;
  sigmaDark: number;
  darkLevel: number;
  factor: number;
  /** CR pixels (of M) in the pair. */
  crPixels: number;
}

/** Step 3 for one science/dark pair (cropped to their overlap). Ignored science pixels get no CR charge but keep
 * their label, so they stay out of the scores either way. */
export function injectPair(u: CleanedScience, dark: Frame, params: RecipeParams = DEFAULT_RECIPE) {
  const width = Math.min(u.width, dark.width), height = Math.min(u.height, dark.height);
  const uc = crop(u, width, height), dc = crop(dark, width, height);
  const ignore = cropMask(u.ignore, u.width, width, height);
  const dm = darkMask(dc, params);
  const sigmaScience = robustSigma(uc.data, ignore).sigma;
  const m = dm.mask;
  const charge = new Uint8Array(m.length);
  let crPixels = 0;
  for (let i = 0; i < m.length; i++) {
    if (m[i]) crPixels++;
    charge[i] = m[i] && !ignore[i] && Number.isFinite(dc.data[i]) ? 1 : 0;
  }
  const inj = injectCosmics(uc.data, dc.data, charge, {
    kc: params.kc,
    sigmaScience,
    sigmaDark: dm.sigma,
    darkLevel: dm.level,
  });
  const out: Injection & { width: number; height: number; dark: DarkMask } = {
    image: inj.image,
    mask: m,
    ignore,
    sigmaScience,
    sigmaDark: dm.sigma,
    darkLevel: dm.level,
    factor: inj.factor,
    crPixels,
    width,
    height,
    dark: dm,
  };
  return out;
}

export interface RecipeChunk {
  image: Float32Array;
  mask: Uint8Array;
  ignore: Uint8Array | null;
  x: number;
  y: number;
  sky: number;
}

function medianOf(values: Float64Array, n: number): number {
  const s = values.subarray(0, n).sort();
  return n % 2 ? s[(n - 1) / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
}

/**
 * Step 4: non-overlapping patch × patch chunks from (0, 0); a remainder narrower than a patch at the right or top
 * is left out. Each chunk's sky is the median of U over its usable (not ignored, finite) pixels; non-finite pixels
 * of C are set to it (and are ignored). Chunks with more than maxIgnored of their pixels ignored come back as null
 * (left out of the dataset), so that positions stay numbered the same whatever is dropped.
 */
export function cutChunks(
  inj: { image: Float32Array; mask: Uint8Array; ignore: Uint8Array; width: number; height: number },
  u: Frame,
  params: RecipeParams = DEFAULT_RECIPE,
): (RecipeChunk | null)[] {
  const { patch } = params;
  const { width, height } = inj;
  const nx = Math.floor(width / patch), ny = Math.floor(height / patch);
  const out: (RecipeChunk | null)[] = [];
  const values = new Float64Array(patch * patch);
  for (let cy = 0; cy < ny; cy++) {
    for (let cx = 0; cx < nx; cx++) {
      const x0 = cx * patch, y0 = cy * patch;
      const image = new Float32Array(patch * patch), mask = new Uint8Array(patch * patch);
      const ignore = new Uint8Array(patch * patch);
      let usable = 0, ignored = 0;
      for (let y = 0; y < patch; y++) {
        const row = (y0 + y) * width + x0, urow = (y0 + y) * u.width + x0;
        for (let x = 0; x < patch; x++) {
          const i = y * patch + x;
          image[i] = inj.image[row + x];
          mask[i] = inj.mask[row + x];
          const v = u.data[urow + x];
          if (inj.ignore[row + x] || !Number.isFinite(v) || !Number.isFinite(image[i])) (ignore[i] = 1), ignored++;
          else values[usable++] = v;
        }
      }
      if (usable === 0 || ignored > params.maxIgnored * patch * patch) {
        out.push(null);
        continue;
      }
      const sky = medianOf(values, usable);
      if (ignored > 0) { for (let i = 0; i < image.length; i++) if (!Number.isFinite(image[i])) image[i] = sky; }
      out.push({ image, mask, ignore: ignored > 0 ? ignore : null, x: x0, y: y0, sky });
    }
  }
  return out;
}

/** Chunk positions of a width × height frame. */
export function chunkCount(width: number, height: number, patch: number): number {
  return Math.floor(width / patch) * Math.floor(height / patch);
}
