// Stars: magnitudes from power-law number counts, positions uniform, rendered as the Moffat PSF.
import type { Rng } from "../../nn/init.ts";
import { addMoffat, type Moffat, moffatExtent } from "./psf.ts";

/** High-galactic-latitude star counts (assumption after Bahcall & Soneira 1980 / Besançon-model counts):
 * d log N / dm = 0.3 and N(< 24 mag) = 2 per arcmin² (≈ 7,200 per deg²), used for every band. */
export const STAR_COUNTS = { slope: 0.3, densityAt24: 2.0, brightest: 12, faintest: 24 } as const;

export interface Source {
  /** Centre, pixels (pixel centres at integer + 0.5). */
  x: number;
  y: number;
  mag: number;
}

/** Number of sources per arcmin² between `bright` and `faint` mag for cumulative counts N(<m) = n24·10^{s(m−24)}. */
export function countBetween(slope: number, n24: number, bright: number, faint: number): number {
  return n24 * (10 ** (slope * (faint - 24)) - 10 ** (slope * (bright - 24)));
}

/** A magnitude from the power law dN/dm ∝ 10^{s m} on [bright, faint], by inverse CDF. */
export function powerLawMag(rng: Rng, slope: number, bright: number, faint: number): number {
  const lo = 10 ** (slope * bright), hi = 10 ** (slope * faint);
  return Math.log10(lo + (hi - lo) * rng.next()) / slope;
}

export function drawStars(
  rng: Rng,
  count: number,
  width: number,
  height: number,
  bright: number,
  faint: number,
): Source[] {
  const stars: Source[] = [];
  for (let i = 0; i < count; i++) {
    const x = rng.uniform(0, width), y = rng.uniform(0, height);
    stars.push({ x, y, mag: powerLawMag(rng, STAR_COUNTS.slope, bright, faint) });
  }
  return stars;
}

/** Adds the expected e⁻ of each star (flux = exposure · 10^{−0.4(m − zp)}) into `expected`. */
export function renderStars(
  expected: Float32Array,
  width: number,
  height: number,
  stars: readonly Source[],
  psf: Moffat,
  zeroPoint: number,
  exposure: number,
): void {
  for (const s of stars) {
    const flux = exposure * 10 ** (-0.4 * (s.mag - zeroPoint));
    // Stop the stamp where the wings fall below 0.02 e⁻/pixel: far under the sky noise of any band.
    const radius = moffatExtent(psf, flux, 0.02, 400);
    addMoffat(expected, width, height, s.x, s.y, flux, psf, radius);
  }
}
