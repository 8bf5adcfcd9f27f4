// Domain randomisation: one random "instrument and night" per science frame, so that a model trained on the mix
// meets the real frames' PSF widths, noise, sky, dynamic range and defects somewhere in its training set. The
// ranges (RANDOM_RANGES) are each stated with where they come from; the README's simulator section repeats them.
import type { Rng } from "../../nn/init.ts";
import { type Band, type Camera, DECAM } from "./constants.ts";
import type { CcdName } from "./dark.ts";
import { type Galaxy, GALAXY_SHAPES } from "./galaxies.ts";
import type { Source } from "./stars.ts";

/** A range [lo, hi], drawn uniformly or (log) log-uniformly, and why it is what it is. */
interface Range {
  lo: number;
  hi: number;
  log?: boolean;
  /** How it is drawn when neither uniform nor log-uniform (for the README's table). */
  drawn?: string;
  source: string;
}

export const RANDOM_RANGES = {
  fwhmPixels: {
    lo: 1.5,
    hi: 6,
    log: true,
    source: "issue 12: well-sampled space/AO-like PSFs (~1.5 px) to oversampled ground-based seeing (~6 px); " +
      "GMOS 0.08″/px at 0.5″ ≈ 6 px, DECam 0.263″/px at 1″ ≈ 4 px, LCO 0.4 m 0.571″/px at 2″ ≈ 3.5 px",
  },
  beta: { lo: 2, hi: 4.765, source: "Moffat β: strong wings (2) to Kolmogorov turbulence (4.765, Trujillo et al. 2001)" },
  pixelScale: { lo: 0.1, hi: 0.7, source: "″/px: GMOS/HST-like 0.1″ to LCO 0.4 m 0.571″ and small telescopes" },
  exposure: { lo: 30, hi: 900, log: true, source: "s: short survey exposures to long narrow-band ones (assumption)" },
  skyElectrons: {
    lo: 5,
    hi: 30_000,
    log: true,
    source: "sky e⁻/pixel: dark narrow-band or spectroscopic backgrounds (a few e⁻) to bright-sky z-band or long " +
      "broad-band exposures (tens of thousands); DECam r 90 s is ~270 e⁻",
  },
  zeroPointShift: {
    lo: -3.5,
    hi: 0.5,
    source: "mag relative to DECam's zero points on the 4 m Blanco, 5 log₁₀(D / 4 m) at its throughput: −3.5 is a " +
      "0.8 m aperture, +0.5 a 5 m one (assumption)",
  },
  gain: { lo: 0.7, hi: 5, log: true, source: "e⁻/ADU: LCO BANZAI 1.0, SAAO 1.9, GMOS ~1.9, DECam ~4, HST 1–2" },
  readNoise: { lo: 2.5, hi: 12, source: "e⁻: modern CCDs 2.5–5, DECam 7, older or fast readouts 10–15" },
  fullWell: { lo: 60_000, hi: 200_000, source: "e⁻: thin CCDs ~60–100k, DECam ~150k, deep-depletion ~200k" },
  biasShare: { lo: 0.5, hi: 0.5, drawn: "share", source: "share of frames with an unsubtracted bias (raw frames)" },
  bias: { lo: 100, hi: 1500, source: "ADU of an unsubtracted bias level (SAAO's raw frame: ~300)" },
  starDensity: {
    lo: 0.5,
    hi: 50,
    log: true,
    source: "stars per arcmin² brighter than 24 mag: high-latitude fields (~2, Bahcall & Soneira 1980) to " +
      "crowded low-latitude ones (assumption)",
  },
  galaxyDensity: { lo: 2, hi: 20, log: true, source: "per arcmin² to 24 mag: the paper's 10, ×0.2–2" },
  largeGalaxies: {
    lo: 0,
    hi: 3,
    drawn: "Poisson, mean 1, at most 3",
    source: "extended galaxies per frame: nearby spirals filling much of the field (assumption)",
  },
  largeGalaxyRe: { lo: 60, hi: 400, log: true, source: "pixels of half-light radius along the major axis" },
  largeGalaxyPhotons: { lo: 3e5, hi: 6e6, log: true, source: "e⁻ in the galaxy's smooth light (assumption)" },
  knots: { lo: 20, hi: 150, source: "HII knots per large galaxy (assumption), PSF-sharp point sources on the disk" },
  knotShare: {
    lo: 0.05,
    hi: 0.3,
    source: "share of the galaxy's light in its knots (assumption); the knots are what LACosmic mistakes for CRs",
  },
  hotPixelFraction: {
    lo: 1e-5,
    hi: 2e-4,
    log: true,
    source: "hot pixels per pixel (assumption: kept below the CR fraction, since a lone hot pixel and a 1-px CR " +
      "look alike in one frame); labelled not-CR",
  },
  hotPixelSigma: { lo: 5, hi: 2000, log: true, source: "hot-pixel excess in units of the frame's noise" },
  darkThinShare: { lo: 0.5, hi: 0.5, drawn: "share", source: "share of darks on a thin (LCO-like) CCD, the rest thick (DECam-like)" },
  darkExposure: { lo: 90, hi: 1200, source: "s: the paper's darks" },
} as const satisfies Record<string, Range>;

function draw(rng: Rng, r: Range): number {
  const u = rng.next();
  return r.log ? r.lo * (r.hi / r.lo) ** u : r.lo + (r.hi - r.lo) * u;
}

export interface RandomInstrument {
  camera: Camera;
  /** arcsec, = fwhmPixels × pixelScale. */
  seeing: number;
  fwhmPixels: number;
  beta: number;
  exposure: number;
  /** ADU. */
  bias: number;
  starDensity: number;
  galaxyDensity: number;
  /** Smooth light of the large galaxies, and their knots (rendered as point sources). */
  largeGalaxies: Galaxy[];
  knots: Source[];
  hotPixelFraction: number;
  darkCcd: CcdName;
  darkExposure: number;
}

function poissonSmall(rng: Rng, mean: number): number {
  let k = 0, p = Math.exp(-mean), s = p;
  const u = rng.next();
  while (u > s && k < 50) p *= mean / ++k, s += p;
  return k;
}

/** One random instrument for a width × height frame in `band`. Every draw is from `rng`, in a fixed order. */
export function drawInstrument(rng: Rng, band: Band, width: number, height: number): RandomInstrument {
  const R = RANDOM_RANGES;
  const fwhmPixels = draw(rng, R.fwhmPixels), beta = draw(rng, R.beta), pixelScale = draw(rng, R.pixelScale);
  const exposure = draw(rng, R.exposure), skyE = draw(rng, R.skyElectrons), zpShift = draw(rng, R.zeroPointShift);
  const gain = draw(rng, R.gain), readNoise = draw(rng, R.readNoise), fullWell = draw(rng, R.fullWell);
  const biased = rng.next() < R.biasShare.lo, biasLevel = draw(rng, R.bias);
  const starDensity = draw(rng, R.starDensity), galaxyDensity = draw(rng, R.galaxyDensity);
  const hotPixelFraction = draw(rng, R.hotPixelFraction);
  const darkCcd: CcdName = rng.next() < R.darkThinShare.lo ? "lco-thin" : "decam";
  const darkExposure = Math.round(draw(rng, R.darkExposure));

  const zp = { ...DECAM.zeroPoint };
  for (const b of Object.keys(zp) as Band[]) zp[b] += zpShift;
  // The sky brightness that gives skyE e⁻ per pixel in this exposure: skyE = 10^{−0.4(μ − zp)} · scale² · t.
  const mu = zp[band] - 2.5 * Math.log10(skyE / (exposure * pixelScale * pixelScale));
  const skyBrightness = { g: mu, r: mu, i: mu, z: mu };
  const camera: Camera = {
    name: "random",
    pixelScale,
    zeroPoint: zp,
    skyBrightness,
    ccd: { ...DECAM, gain, readNoise, fullWell },
  };

  const largeGalaxies: Galaxy[] = [], knots: Source[] = [];
  const nLarge = Math.min(R.largeGalaxies.hi, poissonSmall(rng, 1));
  for (let g = 0; g < nLarge; g++) {
    const rePx = draw(rng, R.largeGalaxyRe), photons = draw(rng, R.largeGalaxyPhotons);
    const x = rng.uniform(0, width), y = rng.uniform(0, height), q = rng.uniform(GALAXY_SHAPES.qMin, 1);
    const angle = rng.uniform(0, Math.PI), n = rng.uniform(0.5, 1.5);
    const mag = zp[band] - 2.5 * Math.log10(photons / exposure);
    largeGalaxies.push({ x, y, mag, n, re: rePx * pixelScale, q, angle });
    const nKnots = Math.round(draw(rng, R.knots)), share = draw(rng, R.knotShare);
    const c = Math.cos(angle), s = Math.sin(angle);
    for (let k = 0; k < nKnots; k++) {
      // On an exponential disk (scale length re / 1.678), knot fluxes log-uniform over 2 decades.
      const r = (-rePx / 1.678) * Math.log(1 - rng.next() * 0.95), phi = 2 * Math.PI * rng.next();
      const u = r * Math.cos(phi), v = q * r * Math.sin(phi);
      const w = 10 ** (2 * rng.next());
      knots.push({ x: x + c * u - s * v, y: y + s * u + c * v, mag: w });
    }
    // Fluxes: `share` of the galaxy's light over its knots, in proportion to their weights.
    const sum = knots.slice(-nKnots).reduce((a, k) => a + k.mag, 0);
    for (const k of knots.slice(-nKnots)) k.mag = zp[band] - 2.5 * Math.log10((share * photons * k.mag / sum) / exposure);
  }
  return {
    camera,
    seeing: fwhmPixels * pixelScale,
    fwhmPixels,
    beta,
    exposure,
    bias: biased ? biasLevel : 0,
    starDensity,
    galaxyDensity,
    largeGalaxies,
    knots,
    hotPixelFraction,
    darkCcd,
    darkExposure,
  };
}

/**
 * Hot pixels into a cleaned frame U (after the recipe's LACosmic step, which would remove them): single pixels, a
 * third of them with a fainter neighbour below (a trap's tail), at `sigma` × the frame's noise above it. They are
 * left labelled 0: a detector should not call them CRs. Returns how many.
 */
export function addHotPixels(
  u: Float32Array,
  width: number,
  height: number,
  fraction: number,
  noise: number,
  rng: Rng,
): number {
  const count = Math.round(fraction * width * height);
  for (let k = 0; k < count; k++) {
    const x = rng.int(width), y = rng.int(height), amp = draw(rng, RANDOM_RANGES.hotPixelSigma) * noise;
    const tail = rng.next() < 1 / 3;
    u[y * width + x] += amp;
    if (tail && y > 0) u[(y - 1) * width + x] += 0.3 * amp;
  }
  return count;
}
