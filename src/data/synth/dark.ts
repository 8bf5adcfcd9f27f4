// Dark frames: bias + dark current + cosmic rays, read out with read noise; the true CR mask comes from the
// noise-free CR charge.
import { Rng } from "../../nn/init.ts";
import { type Ccd, DECAM, LCO_THIN } from "./constants.ts";
import { addCosmics, type CosmicRates, type CosmicStats } from "./cosmics.ts";
import { poissonImage, readout } from "./detector.ts";

export type CcdName = "decam" | "lco-thin";

export const CCDS: Record<CcdName, Ccd> = { decam: DECAM, "lco-thin": LCO_THIN };

/**
 * CR event rates, per cm² per s. Muons: ≈ 1 cm⁻² min⁻¹ at sea level (PDG cosmic-ray review), ×1.5 for CTIO's
 * 2,200 m (assumption) = 0.025. Electrons (Compton electrons from the dewar's and the building's radioactivity):
 * assumed equal to the muon rate. That estimate (0.025 + 0.025) gives 0.0364% CR pixels in a 90 s DECam dark (mean
 * of 40 frames of 2048×4096); both rates are scaled by 0.742 so that it gives the paper's 0.027% (checked in
 * test/synth.test.ts). LCO uses the same rates: only the sensor differs.
 */
const CALIBRATED: CosmicRates = { muons: 0.0186, electrons: 0.0186 };
export const CR_RATES: Record<CcdName, CosmicRates> = { decam: CALIBRATED, "lco-thin": CALIBRATED };

/** CR charge (e⁻) above which a pixel is a CR pixel in the true mask: 3 σ of the read noise, as the paper's
 * median + 3σ threshold on the dark frame. */
export function maskThreshold(ccd: Ccd): number {
  return 3 * ccd.readNoise;
}

export interface DarkOptions {
  width: number;
  height: number;
  /** Seconds (the paper's darks: 90–1200 s). */
  exposure: number;
  seed: number;
  ccd?: CcdName;
  /** ADU added to every pixel (default 0: overscan-subtracted). */
  bias?: number;
  rates?: CosmicRates;
}

export interface DarkMeta extends CosmicStats {
  ccd: CcdName;
  exposure: number;
  seed: number;
  bias: number;
  gain: number;
  readNoise: number;
  /** e⁻ of CR charge for a pixel to count in crMask. */
  threshold: number;
  /** Fraction of pixels in crMask. */
  crFraction: number;
}

export interface DarkFrame {
  /** ADU. */
  image: Float32Array;
  /** 1 where the CR charge exceeds `meta.threshold`. */
  crMask: Uint8Array;
  /** Noise-free CR charge, e⁻. */
  crCharge: Float32Array;
  meta: DarkMeta;
}

export function simulateDark(opts: DarkOptions): DarkFrame {
  const { width, height, exposure, seed } = opts;
  const name = opts.ccd ?? "decam";
  const ccd = CCDS[name];
  const bias = opts.bias ?? 0;
  const rng = new Rng(seed);
  const n = width * height;
  const crCharge = new Float32Array(n);
  const stats = addCosmics(crCharge, width, height, ccd, opts.rates ?? CR_RATES[name], exposure, rng);
  const expected = new Float32Array(n).fill(ccd.darkCurrent * exposure);
  const charge = poissonImage(expected, rng);
  const threshold = maskThreshold(ccd);
  const crMask = new Uint8Array(n);
  let flagged = 0;
  for (let i = 0; i < n; i++) {
    // CR charge is rounded to whole electrons; the ionisation statistics are already in its Moyal/Landau draw.
    const q = Math.round(crCharge[i]);
    charge[i] = Math.min(ccd.fullWell, charge[i] + q);
    if (q > threshold) (crMask[i] = 1), flagged++;
  }
  const image = readout(charge, ccd, bias, rng);
  return {
    image,
    crMask,
    crCharge,
    meta: {
      ...stats,
      ccd: name,
      exposure,
      seed,
      bias,
      gain: ccd.gain,
      readNoise: ccd.readNoise,
      threshold,
      crFraction: flagged / n,
    },
  };
}
