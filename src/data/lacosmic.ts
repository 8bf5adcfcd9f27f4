// LACosmic (van Dokkum 2001, PASP 113, 1420) cosmic-ray detection on the CPU, reproducing Astro-SCRAPPY 1.1.0's
// detect_cosmics: same keywords and defaults, same filters and edge rules, same float32 arithmetic, so the same
// masks and cleaned images bit for bit.
//
//   const { mask, clean } = detectCosmics(pixels, width, height, { gain: 1.9, readnoise: 4.2 });
import { f, Lacosmic, type Regions } from "./lacosmic/detect.ts";
import { maskedMedian } from "./lacosmic/median.ts";
import { LacosmicError, type LacosmicOptions, resolveOptions } from "./lacosmic/options.ts";
import { IntList, Region } from "./lacosmic/region.ts";

export {
  type CleanType,
  DEFAULTS,
  type FsMode,
  LacosmicError,
  type LacosmicOptions,
  type PsfKernel,
  type PsfModel,
} from "./lacosmic/options.ts";
export { psfKernel } from "./lacosmic/psf.ts";

export interface LacosmicResult {
  /** 1 where a cosmic ray was flagged. */
  mask: Uint8Array;
  /** The image with flagged pixels replaced (cleantype), in the input's units. */
  clean: Float32Array;
  /** Iterations run (fewer than niter when one finds nothing, or when cleaning no longer changes the image). */
  iterations: number;
}

/** Checks the image arguments; returns the pixel count. */
function checkImage(
  image: Float32Array | Float64Array,
  width: number,
  height: number,
  inmask: Uint8Array | undefined,
): number {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new LacosmicError(`width and height must be positive integers (got ${width} × ${height})`);
  }
  if (!(image instanceof Float32Array) && !(image instanceof Float64Array)) {
    throw new LacosmicError("image must be a Float32Array (or Float64Array)");
  }
  const n = width * height;
  if (image.length !== n) throw new LacosmicError(`image has ${image.length} pixels, not ${width} × ${height} = ${n}`);
  if (inmask !== undefined && inmask.length !== n) {
    throw new LacosmicError(`inmask has ${inmask.length} pixels, not ${n}`);
  }
  return n;
}

/**
 * Detects cosmic rays in `image` (row-major, width × height, in ADU) with Astro-SCRAPPY 1.1.0's algorithm.
 * Non-finite pixels (NaN, ±Infinity) are treated as masked: they are added to inmask (and so grown by one pixel
 * like it), stand in the filters as the median of the finite pixels, are never flagged, and are returned unchanged
 * in `clean`.
 */
export function detectCosmics(
  image: Float32Array | Float64Array,
  width: number,
  height: number,
  opts: LacosmicOptions = {},
): LacosmicResult {
  const n = checkImage(image, width, height, opts.inmask);
  const o = resolveOptions(opts);
  const run = new Lacosmic(width, height, o);
  const { clean, cleanVar, mask, rn2 } = run;
  const gain = o.gain, inmask = opts.inmask;
  let nonFinite = 0;
  for (let i = 0; i < n; i++) {
    const v = image[i];
    if (v - v === 0) clean[i] = v * gain; // finite
    else (mask[i] = 1), nonFinite++;
  }
  if (inmask) { for (let i = 0; i < n; i++) if (inmask[i]) mask[i] = 1; }
  const bad = new IntList();
  if (nonFinite > 0) {
    const skip = new Uint8Array(n);
    for (let i = 0; i < n; i++) if (!(image[i] - image[i] === 0)) (skip[i] = 1), bad.push(i);
    // Stand-in value for non-finite pixels: the median of the finite ones (they are masked already).
    const fill = maskedMedian(clean, skip);
    for (const i of bad.view()) clean[i] = Number.isNaN(fill) ? 0 : fill;
  }
  for (let i = 0; i < n; i++) cleanVar[i] = clean[i] + rn2;
  run.checkSigns();
  run.maskSaturated();
  const background = run.backgroundLevel();
  const varBackground = f(background + rn2);
  if (o.verbose) console.log(`Starting ${o.niter} L.A.Cosmic iterations`);
  const all = Region.all(width, height);
  let regions: Regions = { noise: all, sp: all, cand: all, g1: all, g2: all };
  let iterations = 0;
  for (let it = 0; it < o.niter; it++) {
    iterations++;
    run.detect(regions, it === 0);
    if (o.verbose) console.log(`Iteration ${it + 1}:\n${run.numcr} cosmic pixels this iteration`);
    if (run.numcr === 0) break;
    const changed = run.cleanFlagged(background, varBackground);
    // Nothing moved: every further iteration would repeat this one exactly.
    if (changed.length === 0) break;
    if (it + 1 < o.niter) regions = run.regionsAround(changed);
  }
  for (let i = 0; i < n; i++) clean[i] = clean[i] / gain;
  for (const i of bad.view()) clean[i] = image[i];
  return { mask: run.crmask, clean, iterations };
}
