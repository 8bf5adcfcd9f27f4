// Moffat PSF (Moffat 1969): I(r) = F (β−1)/(π α²) (1 + r²/α²)^−β, FWHM = 2α √(2^{1/β} − 1).
// Rendered by pixel sub-sampling near the core (where pixel integration matters) and sampled by inverse CDF for
// photon shooting.
import type { Rng } from "../../nn/init.ts";

export interface Moffat {
  /** Core width, pixels. */
  alpha: number;
  beta: number;
  /** FWHM, pixels. */
  fwhm: number;
}

export function moffat(fwhmPixels: number, beta: number): Moffat {
  return { alpha: fwhmPixels / (2 * Math.sqrt(2 ** (1 / beta) - 1)), beta, fwhm: fwhmPixels };
}

/** Radius (pixels) beyond which a source of `flux` e⁻ adds less than `floor` e⁻ per pixel, capped at `cap`. */
export function moffatExtent(psf: Moffat, flux: number, floor: number, cap: number): number {
  const peak = flux * (psf.beta - 1) / (Math.PI * psf.alpha * psf.alpha);
  if (peak <= floor) return Math.min(cap, Math.ceil(psf.fwhm));
  const r = psf.alpha * Math.sqrt((peak / floor) ** (1 / psf.beta) - 1);
  return Math.min(cap, Math.max(Math.ceil(2 * psf.fwhm), Math.ceil(r)));
}

const SUB = 5; // sub-samples per pixel side inside the core

/** Adds a Moffat source of `flux` e⁻ centred at (cx, cy) (pixel centres at integer + 0.5) into `image`. */
export function addMoffat(
  image: Float32Array,
  width: number,
  height: number,
  cx: number,
  cy: number,
  flux: number,
  psf: Moffat,
  radius: number,
): void {
  const { alpha, beta } = psf;
  const norm = flux * (beta - 1) / (Math.PI * alpha * alpha);
  const ia2 = 1 / (alpha * alpha);
  const core2 = (2 * psf.fwhm) ** 2;
  const x0 = Math.max(0, Math.floor(cx - radius)), x1 = Math.min(width - 1, Math.floor(cx + radius));
  const y0 = Math.max(0, Math.floor(cy - radius)), y1 = Math.min(height - 1, Math.floor(cy + radius));
  for (let y = y0; y <= y1; y++) {
    const dy = y + 0.5 - cy;
    const row = y * width;
    for (let x = x0; x <= x1; x++) {
      const dx = x + 0.5 - cx;
      const r2 = dx * dx + dy * dy;
      let v: number;
      if (r2 < core2) {
        v = 0;
        for (let j = 0; j < SUB; j++) {
          const sy = dy + (j + 0.5) / SUB - 0.5;
          for (let i = 0; i < SUB; i++) {
            const sx = dx + (i + 0.5) / SUB - 0.5;
            v += (1 + (sx * sx + sy * sy) * ia2) ** -beta;
          }
        }
        v /= SUB * SUB;
      } else {
        v = (1 + r2 * ia2) ** -beta;
      }
      image[row + x] += norm * v;
    }
  }
}

/** Radius (pixels) of a photon drawn from the Moffat profile: F(r) = 1 − (1 + r²/α²)^{1−β}, inverted. */
export function moffatRadius(rng: Rng, psf: Moffat): number {
  const u = 1 - rng.next();
  return psf.alpha * Math.sqrt(u ** (1 / (1 - psf.beta)) - 1);
}
