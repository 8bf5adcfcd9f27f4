// Physical constants of the simulated cameras. Every number is stated with its source or marked as our assumption;
// the README's simulator section repeats this table.

export type Band = "g" | "r" | "i" | "z";
export const BANDS: readonly Band[] = ["g", "r", "i", "z"];

/** DECam (Flaugher et al. 2015, AJ 150, 150) and the DES survey conditions the paper's data come from. */
export const DECAM = {
  /** ″/pixel (Flaugher et al. 2015). */
  pixelScale: 0.263,
  /** Pixel pitch, µm (15 µm, 2K×4K LBNL CCDs). */
  pixelSize: 15,
  /** Fully depleted sensor thickness, µm (Flaugher et al. 2015; the paper's "250 µm thick"). */
  thickness: 250,
  /** e⁻/ADU: DECam amplifiers are 3.5–4.5 (per-amp GAINA/GAINB header cards); we use one nominal value. */
  gain: 4.0,
  /** e⁻ rms: DECam read noise is 6–7 e⁻ per amplifier (Flaugher et al. 2015); we use 7. */
  readNoise: 7.0,
  /** e⁻: DECam full well ≳ 130,000 e⁻ (Flaugher et al. 2015); we use 150,000 (= 37,500 ADU at gain 4). */
  fullWell: 150_000,
  /** ADU: the 16-bit ADC ceiling. */
  adcMax: 65_535,
  /** e⁻/pixel/s: requirement < 25 e⁻/hr/pixel (Flaugher et al. 2015); we use 10 e⁻/hr. */
  darkCurrent: 10 / 3600,
  /** µm: lateral charge-diffusion σ for charge made at the back surface (assumption: ~2/3 pixel for 250 µm). */
  diffusionMax: 10,
  /** Nominal DECam zero points, mag giving 1 e⁻/s at airmass 1: legacypipe's DecamImage.ZP0
   * (legacysurvey/legacypipe, py/legacypipe/decam.py; i from DES Y1 Stripe 82). */
  zeroPoint: { g: 25.001, r: 25.209, i: 25.149, z: 24.875 } as Record<Band, number>,
  /** DES dark-sky surface brightness, mag/arcsec² (the paper, after DES observing conditions). */
  skyBrightness: { g: 22.0, r: 21.1, i: 19.9, z: 18.7 } as Record<Band, number>,
} as const;

/** LCO imagers (Sinistro-like thin back-illuminated CCD). All numbers are assumptions of the right order:
 * 15 µm pixels (Fairchild CCD486), ~15 µm of active silicon, gain 1 e⁻/ADU, read noise 7.5 e⁻, and a lateral
 * diffusion σ of 1.5 µm (0.1 pixel) at the back surface, which with a 3σ-of-read-noise mask threshold leaves
 * ~3/4 of the hits at 1–2 pixels, as the paper describes for LCO. */
export const LCO_THIN = {
  pixelSize: 15,
  thickness: 15,
  gain: 1.0,
  readNoise: 7.5,
  fullWell: 100_000,
  adcMax: 65_535,
  darkCurrent: 0.002,
  diffusionMax: 1.5,
} as const;

/** What the cosmic-ray and readout code needs to know about a CCD. */
export interface Ccd {
  pixelSize: number;
  thickness: number;
  gain: number;
  readNoise: number;
  fullWell: number;
  adcMax: number;
  darkCurrent: number;
  diffusionMax: number;
}

/** Mean number of electron–hole pairs per eV deposited in silicon (3.65 eV per pair). */
export const EV_PER_PAIR = 3.65;
/** Most probable energy loss of a minimum-ionising particle in silicon, e⁻/µm (≈ 80 e⁻/µm, PDG review
 * "Passage of particles through matter"; the mean, with the Landau tail, is ≈ 108 e⁻/µm). */
export const MIP_MPV = 80;
/** Silicon density, g/cm³ (electron ranges from the Katz–Penfold formula are in g/cm²). */
export const SILICON_DENSITY = 2.33;

/** A camera on a telescope, as simulateScience needs it: optics (pixel scale, zero points), site sky, and the CCD.
 * DECAM_CAMERA is the default; src/data/synth/lco.ts defines the LCO-like ones. */
export interface Camera {
  name: string;
  /** ″/pixel. */
  pixelScale: number;
  /** mag giving 1 e⁻/s at airmass 1, per band. */
  zeroPoint: Record<Band, number>;
  /** Sky surface brightness, mag/arcsec², per band. */
  skyBrightness: Record<Band, number>;
  ccd: Ccd;
}

export const DECAM_CAMERA: Camera = {
  name: "decam",
  pixelScale: DECAM.pixelScale,
  zeroPoint: DECAM.zeroPoint,
  skyBrightness: DECAM.skyBrightness,
  ccd: DECAM,
};
