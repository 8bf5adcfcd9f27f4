// The LACosmic iteration (van Dokkum 2001) as Astro-SCRAPPY 1.1.0's detect_cosmics runs it, in float32.
import { cleanArray } from "./clean.ts";
import { convolve, dilate3, dilate3At, dilate5, laplaceToNoise } from "./filters.ts";
import { fullMedian, sepMedian } from "./medfilt.ts";
import { maskedMedian } from "./median.ts";
import { nonNegative } from "./median_int.ts";
import type { PsfKernel, ResolvedOptions } from "./options.ts";
import { psfKernel } from "./psf.ts";
import { IntList, Region } from "./region.ts";

export const f = Math.fround;
const NOISE_FLOOR = f(0.00001);
const SP_VALID = 1, CAND = 2, GROW1 = 4, GROW2 = 8;
const FINE_FLOOR = f(0.01);

/** Regions of one iteration's stages: every stage is recomputed only where its inputs may have changed. */
export interface Regions {
  noise: Region;
  sp: Region;
  cand: Region;
  g1: Region;
  g2: Region;
}

/** One detect_cosmics run: its float32 images and masks, and the stages that update them. */
export class Lacosmic {
  readonly n: number;
  readonly clean: Float32Array;
  readonly cleanVar: Float32Array;
  readonly mask: Uint8Array;
  readonly crmask: Uint8Array;
  // Stage images, kept between iterations so that later ones only update them near cleaned pixels.
  readonly noise: Float32Array;
  readonly s: Float32Array;
  /** s − median(s), computed lazily: only where s could put it above a threshold (sp ≤ s, as s ≥ 0). */
  readonly sp: Float32Array;
  /** Per-pixel bits SP_VALID, CAND, GROW1, GROW2 in one array (every large array costs page faults). */
  readonly flags: Uint8Array;
  readonly fm: Float32Array;
  /** The separable filters' row-median scratch. */
  readonly tmp: Float32Array;
  readonly kernel: PsfKernel | undefined;
  readonly rn2: number;
  numcr = 0;
  // Whether clean, cleanVar and s hold no negative value (for the faster median kernels).
  cleanSign = false;
  varSign = false;
  sSign = false;
  readonly crPixels = new IntList();

  constructor(readonly w: number, readonly h: number, readonly o: ResolvedOptions) {
    const n = (this.n = w * h);
    // Every 32 MB array costs ~0.2 s of page faults on first touch here, so there are as few as the stages allow.
    [this.clean, this.cleanVar, this.noise, this.s, this.sp, this.fm, this.tmp] = Array.from(
      { length: 7 },
      () => new Float32Array(n),
    );
    [this.mask, this.crmask, this.flags] = Array.from({ length: 3 }, () => new Uint8Array(n));
    // `readnoise * readnoise` multiplies two C floats.
    this.rn2 = f(o.readnoise * o.readnoise);
    if (o.fsmode === "convolve") {
      this.kernel = o.psfk ?? psfKernel(o.psfmodel, o.psffwhm, o.psfsize, o.psfbeta);
    }
  }

  /**
   * Square-window median of `size` in full mode, else the separable one of `sepSize`; `sign`: src holds no negative
   * value (faster kernels).
   */
  median(src: Float32Array, dst: Float32Array, sepSize: number, size: number, region: Region, sign: boolean): void {
    if (this.o.sepmed) sepMedian(src, dst, this.w, this.h, sepSize, region, this.tmp, sign);
    else fullMedian(src, dst, this.w, this.h, size, region);
  }

  /**
   * update_mask: saturated stars (pixels ≥ satlevel whose median is > satlevel / 10) grown by dilate5 twice. The
   * median is left in `noise`, where the first detection pass turns it into the noise.
   */
  maskSaturated(): void {
    const { n, w, h, clean, noise: med, o } = this;
    this.median(clean, med, 7, 5, Region.all(w, h), this.cleanSign);
    const core = f(o.satlevel / 10.0);
    const sat = new Uint8Array(n);
    let saturated = 0;
    for (let i = 0; i < n; i++) {
      if (clean[i] >= o.satlevel && med[i] > core) (sat[i] = 1), saturated++;
    }
    const mask = this.mask;
    if (mask.indexOf(1) >= 0) mask.set(dilate3(mask, w, h));
    if (saturated > 0) {
      const dilsat = dilate5(sat, w, h, 2);
      for (let i = 0; i < n; i++) mask[i] |= dilsat[i];
    }
  }

  checkSigns(): void {
    this.cleanSign = nonNegative(new Int32Array(this.clean.buffer));
    this.varSign = nonNegative(new Int32Array(this.cleanVar.buffer));
  }

  /** Median of the unmasked pixels: what a pixel with no usable neighbours is cleaned to. */
  backgroundLevel(): number {
    const level = maskedMedian(this.clean, this.mask);
    return Number.isNaN(level) ? 0 : level;
  }

  /** How far (in pixels) a change to the image reaches into each stage's output. */
  radii(): { noise: number; sp: number; cand: number } {
    const { sepmed } = this.o;
    const noise = sepmed ? 3 : 2;
    const sp = noise + (sepmed ? 3 : 2);
    const k = this.kernel;
    const fm = k ? Math.max(k.width >> 1, k.height >> 1) : sepmed ? 2 : 1;
    const fp = Math.max(fm + (sepmed ? 4 : 3), noise);
    return { noise, sp, cand: Math.max(sp, fp) };
  }

  regionsAround(points: Int32Array): Regions {
    const r = this.radii();
    const at = (radius: number) => Region.around(points, radius, radius, this.w, this.h);
    return { noise: at(r.noise), sp: at(r.sp), cand: at(r.cand), g1: at(r.cand + 1), g2: at(r.cand + 2) };
  }

  /**
   * The candidates among `points` (pixels with sp > sigclip): sp / F > objlim, where F is the fine-structure image
   * (median3 − median7 of median3, or of the PSF convolution) in noise units, floored at 0.01. F is evaluated only
   * around these pixels, which are few.
   */
  fineStructure(points: Int32Array): void {
    const { w, h, o, clean, noise, sp, fm, flags } = this;
    const reach = o.sepmed ? 4 : 3;
    const k = this.kernel;
    const near = Region.around(points, reach, reach, w, h);
    if (k) convolve(clean, fm, w, h, k.data, k.width, k.height, near);
    else this.median(clean, fm, 5, 3, near, this.cleanSign);
    const fmSign = this.cleanSign && (!k || k.data.every((v) => v >= 0));
    // The median7 of that goes into fm at the points themselves (in place is fine on a region).
    const median3 = Float32Array.from(points, (i) => fm[i]);
    this.median(fm, fm, 9, 7, Region.around(points, 0, 0, w, h), fmSign);
    for (let j = 0; j < points.length; j++) {
      const i = points[j];
      let fine = f(f(median3[j] - fm[i]) / noise[i]);
      if (fine < FINE_FLOOR) fine = FINE_FLOOR;
      if (f(sp[i] / fine) > o.objlim) flags[i] |= CAND;
    }
  }

  /** sp = s − median(s) at the given pixels (where it is not valid yet). */
  computeSp(points: Int32Array): void {
    if (points.length === 0) return;
    const { s, sp, flags } = this;
    this.median(s, sp, 7, 5, Region.around(points, 0, 0, this.w, this.h), this.sSign);
    for (const i of points) {
      sp[i] = s[i] - sp[i];
      flags[i] |= SP_VALID;
    }
  }

  /**
   * The pixels of `region` with sp > limit among those where `pass` holds, computing the sp values it lacks in one
   * batch. Since sp ≤ s, only pixels with s > limit are looked at.
   */
  above(region: Region, limit: number, pass: (i: number, x: number, y: number) => boolean): Int32Array {
    const { w, s, sp, flags } = this;
    const found = new IntList(), pending = new IntList();
    region.forEachRun((y, x0, x1) => {
      for (let x = x0, i = y * w + x0; x < x1; x++, i++) {
        if (!(s[i] > limit) || !pass(i, x, y)) continue;
        if (!(flags[i] & SP_VALID)) pending.push(i);
        else if (sp[i] > limit) found.push(i);
      }
    });
    const todo = pending.view();
    this.computeSp(todo);
    for (const i of todo) if (sp[i] > limit) found.push(i);
    return found.view();
  }

  /** One detection pass on the given regions; `first`: noise still holds update_mask's median of the image. */
  detect(R: Regions, first: boolean): void {
    const { w, h, n, o, clean, cleanVar, noise, s, mask, flags } = this;
    const rn2 = this.rn2;
    // Noise: sqrt of the median-filtered variance. On the first pass the variance is image + readnoise², and a
    // median commutes with that monotone map, so update_mask's median serves.
    if (!first) this.median(cleanVar, noise, 7, 5, R.noise, this.varSign);
    R.noise.forEachRun((y, x0, x1) => {
      if (first) {
        for (let i = y * w + x0, end = y * w + x1; i < end; i++) {
          noise[i] = Math.sqrt(Math.max(f(noise[i] + rn2), NOISE_FLOOR));
        }
      } else {
        for (let i = y * w + x0, end = y * w + x1; i < end; i++) noise[i] = Math.sqrt(Math.max(noise[i], NOISE_FLOOR));
      }
    });
    laplaceToNoise(clean, noise, s, w, h, R.noise);
    this.sSign = nonNegative(new Int32Array(s.buffer));
    const clear = (bit: number, region: Region) => {
      if (first) return; // fresh flags are all clear
      const keep = ~bit;
      region.forEachRun((y, x0, x1) => {
        for (let i = y * w + x0, end = y * w + x1; i < end; i++) flags[i] &= keep;
      });
    };
    clear(SP_VALID, R.sp);
    const { sigclip, sigcliplow } = o;
    // Candidates: sp > sigclip, then sp / fine structure > objlim.
    clear(CAND, R.cand);
    const points = this.above(R.cand, sigclip, (i) => !mask[i]);
    if (points.length > 0) this.fineStructure(points);
    // Neighbours of candidates above sigclip, then neighbours of those above sigfrac · sigclip.
    clear(GROW1, R.g1);
    for (const i of this.above(R.g1, sigclip, (i, x, y) => !mask[i] && dilate3At(flags, w, h, x, y, CAND))) {
      flags[i] |= GROW1;
    }
    clear(GROW2, R.g2);
    for (const i of this.above(R.g2, sigcliplow, (i, x, y) => !mask[i] && dilate3At(flags, w, h, x, y, GROW1))) {
      flags[i] |= GROW2;
      if (!this.crmask[i]) this.addCosmic(i);
    }
    let numcr = 0;
    for (let i = 0; i < n; i++) numcr += (flags[i] & GROW2) >> 3;
    this.numcr = numcr;
  }

  addCosmic(i: number): void {
    this.crmask[i] = 1;
    this.crPixels.push(i);
  }

  /** Cleans image and variance at every flagged pixel; returns the pixels whose value changed. */
  cleanFlagged(background: number, varBackground: number): Int32Array {
    const pixels = this.crPixels.view().sort();
    const changed = new Uint8Array(pixels.length);
    const c = { w: this.w, h: this.h, crmask: this.crmask, mask: this.mask, type: this.o.cleantype };
    cleanArray(this.clean, c, pixels, background, changed);
    cleanArray(this.cleanVar, c, pixels, varBackground, changed);
    this.checkSigns();
    return pixels.filter((_, p) => changed[p] === 1);
  }
}
