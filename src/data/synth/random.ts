// Samplers on top of the seeded uniform generator (src/nn/init.ts): Poisson, gamma, Moyal, and the special functions
// they need. All deterministic for a given Rng state.
import type { Rng } from "../../nn/init.ts";

/** log Γ(x) for x > 0 (Lanczos, g = 7, 9 terms; |error| < 1e-13 for our arguments). */
const LANCZOS = [
  0.99999999999980993,
  676.5203681218851,
  -1259.1392167224028,
  771.32342877765313,
  -176.61502916214059,
  12.507343278686905,
  -0.13857109526572012,
  9.9843695780195716e-6,
  1.5056327351493116e-7,
];
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  x -= 1;
  let a = LANCZOS[0];
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += LANCZOS[i] / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** log k! from a table for small k (the common case in the Poisson sampler). */
const LOG_FACT = new Float64Array(256);
for (let k = 1; k < 256; k++) LOG_FACT[k] = LOG_FACT[k - 1] + Math.log(k);
function logFactorial(k: number): number {
  return k < 256 ? LOG_FACT[k] : logGamma(k + 1);
}

/** Poisson deviate: inversion for small means, Hörmann's transformed rejection (PTRS, 1993) for mean ≥ 10. */
export function poisson(rng: Rng, mean: number): number {
  if (!(mean > 0)) return 0;
  if (mean < 10) {
    // Inversion by sequential search: exact, one uniform draw and ≈ mean + 1 steps.
    let p = Math.exp(-mean), k = 0, s = p;
    const u = rng.next();
    while (u > s && k < 200) {
      k++;
      p *= mean / k;
      s += p;
    }
    return k;
  }
  const slam = Math.sqrt(mean), loglam = Math.log(mean);
  const b = 0.931 + 2.53 * slam, a = -0.059 + 0.02483 * b;
  const invAlpha = 1.1239 + 1.1328 / (b - 3.4), vr = 0.9277 - 3.6224 / (b - 2);
  for (;;) {
    const u = rng.next() - 0.5, v = rng.next();
    const us = 0.5 - Math.abs(u);
    const k = Math.floor((2 * a / us + b) * u + mean + 0.43);
    if (us >= 0.07 && v <= vr) return k;
    if (k < 0 || (us < 0.013 && v > us)) continue;
    if (Math.log(v * invAlpha / (a / (us * us) + b)) <= -mean + k * loglam - logFactorial(k)) return k;
  }
}

/** Gamma(shape, 1) deviate, shape ≥ 1 (Marsaglia & Tsang 2000). */
export function gamma(rng: Rng, shape: number): number {
  const d = shape - 1 / 3, c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number, v: number;
    do {
      x = rng.normal();
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = rng.next();
    if (u < 1 - 0.0331 * x * x * x * x) return d * v;
    if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** Moyal deviate (mode 0, mean γ + ln 2 ≈ 1.27): −ln Z² for standard normal Z. A closed-form stand-in for the
 * Landau distribution of ionisation loss (same asymmetric peak; exponential rather than 1/x² tail). */
export function moyal(rng: Rng): number {
  const z = rng.normal();
  return -Math.log(Math.max(z * z, 1e-300));
}

/** Standard normal CDF, via erf (Abramowitz & Stegun 7.1.26, |error| < 1.5e-7). */
export function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t *
      Math.exp(-z * z);
  return x >= 0 ? 0.5 * (1 + y) : 0.5 * (1 - y);
}
