// Cosmic-ray detection with a UNet on an image of any size: the probability map and the mask at a threshold.
//
// Sizes: the image is mirror-padded right and down to the next multiple of 4 (at least 4×4) and the output cropped
// back. If both padded sides fit in `patch`, the whole image is ONE forward pass, so GroupNorm statistics are those of
// the whole image (equal to one PyTorch forward when the sides are multiples of 4). Larger images are cut into
// equal tiles of at most `patch` (see tiles.ts), neighbours overlapping by ≥ 96 px: each output pixel is a weighted
// mean of the tiles covering it, with weight 0 within 32 px of an inner tile edge (≥ the 29 px receptive field, so
// a tile's zero padding never reaches it) and a linear ramp over the next 32 px. For BatchNorm (eval) models the
// tiled map equals the one-pass map; GroupNorm models normalise each tile by its own statistics, so they differ
// slightly where a tile's content differs much from the whole image's. One tile at a time is on the GPU, inside
// `tidy`, so GPU memory is bounded by one tile's forward pass.
//
// NaN/±Inf pixels: replaced by the median of the finite pixels before the network (a sky-like value, so the hole
// does not look like a sharp feature to its neighbours) and given probability 0 in the output: they carry no
// data, and bad pixels belong in a bad-pixel mask rather than the CR mask.
import { noGrad } from "./autograd.ts";
import type { UNet } from "./modules/unet.ts";
import { type Normalize, padImage, prepareImage } from "./detect/prep.ts";
import { axisWeights, planTiles, type TileLayout } from "./detect/tiles.ts";
import { rt, Tensor, tidy } from "./tensor.ts";

export { minPatch, planTiles, receptiveRadius, type TileLayout } from "./detect/tiles.ts";
export { type Normalize, NORMALIZE_HELP, parseNormalize } from "./detect/prep.ts";

export interface DetectOptions {
  /** Largest tile side (a multiple of 4, ≥ 128); default 1024. Images with both sides ≤ patch run in one pass. */
  patch?: number;
  /** Pixel normalisation before the network; default "none". */
  normalize?: Normalize;
  /** Called after each tile with (tiles done, tiles in all). */
  onProgress?: (done: number, total: number) => void;
}

export interface DetectResult {
  /** CR probability per pixel, width × height, row-major; finite everywhere. */
  probabilities: Float32Array;
  layout: TileLayout;
  tiles: number;
  /** Input pixels that were NaN or ±Inf. */
  nonFinite: number;
  /** GPU pool bytes handed out at the end of the largest forward pass (every intermediate still alive). */
  peakLiveBytes: number;
  /** Largest GPU memory the pool held (live + kept for reuse). */
  peakPoolBytes: number;
}

/** Thrown when the input cannot give a trustworthy probability map. */
export class DetectError extends Error {
  override name = "DetectError";
}

export const DEFAULT_PATCH = 1024;

/** CR probability map of a width × height image. See `detect` for the statistics of the run. */
export async function detectProbabilities(
  model: UNet,
  image: Float32Array,
  width: number,
  height: number,
  opts: DetectOptions = {},
): Promise<Float32Array> {
  return (await detect(model, image, width, height, opts)).probabilities;
}

/** 1 where the probability is above `threshold` (Cosmic-CoNN's and deepCR's `p > threshold`), else 0. */
export function crMask(probabilities: Float32Array, threshold = 0.5): Uint8Array {
  if (!(threshold >= 0 && threshold <= 1)) throw new RangeError(`threshold ${threshold} is not in [0, 1]`);
  const mask = new Uint8Array(probabilities.length);
  for (let i = 0; i < mask.length; i++) mask[i] = probabilities[i] > threshold ? 1 : 0;
  return mask;
}

export async function detect(
  model: UNet,
  image: Float32Array,
  width: number,
  height: number,
  opts: DetectOptions = {},
): Promise<DetectResult> {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`image size ${width} × ${height}: sides must be positive integers`);
  }
  if (image.length !== width * height) {
    throw new RangeError(`image has ${image.length} pixels, ${width} × ${height} needs ${width * height}`);
  }
  const m = model.sizeMultiple;
  const pw = Math.max(m, Math.ceil(width / m) * m), ph = Math.max(m, Math.ceil(height / m) * m);
  const layout = planTiles(pw, ph, opts.patch ?? DEFAULT_PATCH, model.config.depth);
  const prepared = prepareImage(image, opts.normalize ?? "none");
  const padded = padImage(prepared.pixels, width, height, pw, ph);

  const sum = new Float32Array(width * height);
  const weight = new Float32Array(width * height);
  const total = layout.xs.length * layout.ys.length;
  const pool = rt().pool;
  let peakLiveBytes = 0, peakPoolBytes = 0, done = 0;
  const wasTraining = model.training;
  model.eval();
  try {
    for (const y0 of layout.ys) {
      for (const x0 of layout.xs) {
        const { tileW: tw, tileH: th } = layout;
        const input = cutTile(padded, pw, x0, y0, tw, th);
        const out = tidy(() =>
          noGrad(() => {
            const y = model.forward(Tensor.fromArray(input, [1, 1, th, tw]));
            peakLiveBytes = Math.max(peakLiveBytes, pool.liveBytes);
            return y;
          })
        );
        peakPoolBytes = Math.max(peakPoolBytes, pool.liveBytes + pool.freeBytes);
        let probs: Float32Array;
        try {
          probs = await out.read();
        } finally {
          out.release();
        }
        accumulate(probs, layout, x0, y0, sum, weight, width, height);
        opts.onProgress?.(++done, total);
      }
    }
  } finally {
    model.train(wasTraining);
  }

  const probabilities = sum; // divided in place
  for (let i = 0; i < probabilities.length; i++) {
    if (!(weight[i] > 0)) throw new Error(`detect: pixel ${i} is covered by no tile (tiling bug)`);
    const p = sum[i] / weight[i];
    if (Number.isNaN(p)) {
      throw new DetectError(
        `the network returned NaN at pixel (${i % width}, ${Math.floor(i / width)}): the input's values are too ` +
          `large or spread for float32 through the network (try --normalize median or zscore)`,
      );
    }
    probabilities[i] = Number.isFinite(image[i]) ? p : 0;
  }
  return { probabilities, layout, tiles: total, nonFinite: prepared.nonFinite, peakLiveBytes, peakPoolBytes };
}

function cutTile(src: Float32Array, srcW: number, x0: number, y0: number, w: number, h: number): Float32Array {
  if (x0 === 0 && y0 === 0 && w === srcW && h * w === src.length) return src;
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) out.set(src.subarray((y0 + y) * srcW + x0, (y0 + y) * srcW + x0 + w), y * w);
  return out;
}

/** Adds one tile's probabilities, weighted, into the running sums over the unpadded image. */
function accumulate(
  probs: Float32Array,
  layout: TileLayout,
  x0: number,
  y0: number,
  sum: Float32Array,
  weight: Float32Array,
  width: number,
  height: number,
): void {
  const { tileW: tw, tileH: th, edge, blend } = layout;
  const wx = axisWeights(x0, tw, layout.width, edge, blend);
  const wy = axisWeights(y0, th, layout.height, edge, blend);
  const xEnd = Math.min(tw, width - x0), yEnd = Math.min(th, height - y0);
  for (let y = 0; y < yEnd; y++) {
    if (wy[y] === 0) continue;
    const row = (y0 + y) * width + x0;
    for (let x = 0; x < xEnd; x++) {
      const w = wx[x] * wy[y];
      if (w === 0) continue;
      sum[row + x] += w * probs[y * tw + x];
      weight[row + x] += w;
    }
  }
}
