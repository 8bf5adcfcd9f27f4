// Galaxies: Sérsic profiles convolved with the PSF by photon shooting. Each photon's radius comes from the Sérsic
// light profile (the enclosed light is the regularised incomplete gamma P(2n, b_n (r/r_e)^{1/n}), so
// r = r_e (G / b_n)^n with G ~ Gamma(2n)), is squeezed by the axis ratio, rotated, and offset by a Moffat draw.
// The photon count is Poisson(flux), so the result is already the shot-noise realisation of the galaxy.
import type { Rng } from "../../nn/init.ts";
import { type Moffat, moffatRadius } from "./psf.ts";
import { gamma, poisson } from "./random.ts";
import { powerLawMag } from "./stars.ts";

/** Galaxy counts and shapes (assumptions): ~10 galaxies per arcmin² down to 24 mag (the paper's figure), counts
 * slope d log N/dm = 0.4 from 18 mag, Sérsic index n ∈ U[0.5, 4], half-light radius log-uniform in 0.3–1.5″,
 * axis ratio q ∈ U[0.3, 1], position angle uniform. */
export const GALAXY_COUNTS = { density: 10, slope: 0.4, brightest: 18, faintest: 24 } as const;
export const GALAXY_SHAPES = { nMin: 0.5, nMax: 4, reMin: 0.3, reMax: 1.5, qMin: 0.3 } as const;

export interface Galaxy {
  x: number;
  y: number;
  mag: number;
  /** Sérsic index. */
  n: number;
  /** Half-light radius along the major axis, arcsec. */
  re: number;
  /** Axis ratio b/a. */
  q: number;
  /** Position angle, radians. */
  angle: number;
}

/** b_n with Γ(2n) = 2γ(2n, b_n) (Ciotti & Bertin 1999 asymptotic series, good to 1e-4 for n ≥ 0.36). */
export function sersicB(n: number): number {
  return 2 * n - 1 / 3 + 4 / (405 * n) + 46 / (25515 * n * n) + 131 / (1148175 * n ** 3);
}

export function drawGalaxies(rng: Rng, count: number, width: number, height: number): Galaxy[] {
  const s = GALAXY_SHAPES;
  const out: Galaxy[] = [];
  for (let i = 0; i < count; i++) {
    out.push({
      x: rng.uniform(0, width),
      y: rng.uniform(0, height),
      mag: powerLawMag(rng, GALAXY_COUNTS.slope, GALAXY_COUNTS.brightest, GALAXY_COUNTS.faintest),
      n: rng.uniform(s.nMin, s.nMax),
      re: s.reMin * (s.reMax / s.reMin) ** rng.next(),
      q: rng.uniform(s.qMin, 1),
      angle: rng.uniform(0, Math.PI),
    });
  }
  return out;
}

/** Adds photo-electrons of each galaxy into `counts` (e⁻, integers). */
export function shootGalaxies(
  counts: Float32Array,
  width: number,
  height: number,
  galaxies: readonly Galaxy[],
  psf: Moffat,
  zeroPoint: number,
  exposure: number,
  pixelScale: number,
  rng: Rng,
): void {
  for (const g of galaxies) {
    const photons = poisson(rng, exposure * 10 ** (-0.4 * (g.mag - zeroPoint)));
    const re = g.re / pixelScale, bn = sersicB(g.n), shape = 2 * g.n;
    const c = Math.cos(g.angle), s = Math.sin(g.angle);
    for (let k = 0; k < photons; k++) {
      const r = re * (gamma(rng, shape) / bn) ** g.n;
      const phi = 2 * Math.PI * rng.next();
      const u = r * Math.cos(phi), v = g.q * r * Math.sin(phi);
      const pr = moffatRadius(rng, psf), pphi = 2 * Math.PI * rng.next();
      const x = Math.floor(g.x + c * u - s * v + pr * Math.cos(pphi));
      const y = Math.floor(g.y + s * u + c * v + pr * Math.sin(pphi));
      if (x >= 0 && x < width && y >= 0 && y < height) counts[y * width + x] += 1;
    }
  }
}
