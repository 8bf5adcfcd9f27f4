// LCO-like cameras for the generalisation test set: the three telescope classes of Las Cumbres Observatory's
// network (0.4 m SBIG, 1 m Sinistro, 2 m Spectral) with the seeing the paper's LCO data were taken in. Thin CCDs:
// cosmic rays mostly hit 1–2 pixels (the LCO_THIN geometry). Each number is stated with its source or marked as an
// assumption; the dataset README repeats them.
import { type Band, type Camera, DECAM, LCO_THIN } from "./constants.ts";

export type Telescope = "0.4m" | "1m" | "2m";
export const TELESCOPES: readonly Telescope[] = ["0.4m", "1m", "2m"];

export interface LcoClass {
  camera: Camera;
  /** Median seeing of the class, arcsec (the paper / GUIDE.md: 2.07″, 2.04″, 1.44″). */
  seeing: number;
  /** Aperture, m. */
  aperture: number;
}

/** DECam zero points scaled to an aperture D (m) by collecting area, (D / 4 m)², same throughput (assumption:
 * LCO's thin back-illuminated CCDs and coatings are taken as efficient as DECam on the 4 m Blanco). */
function scaledZeroPoints(aperture: number): Record<Band, number> {
  const shift = 5 * Math.log10(aperture / 4);
  const zp = DECAM.zeroPoint;
  return { g: zp.g + shift, r: zp.r + shift, i: zp.i + shift, z: zp.z + shift };
}

/** A thin CCD read out at `readNoise` e⁻ with gain 1 e⁻/ADU (LCO's BANZAI-processed frames are in electrons, so
 * gain 1; lco.global Sinistro page). Geometry (15 µm silicon, 0.1 px diffusion) is LCO_THIN's. */
function thinCcd(readNoise: number) {
  return { ...LCO_THIN, gain: 1.0, readNoise };
}

export const LCO_CLASSES: Record<Telescope, LcoClass> = {
  // SBIG STL-6303 on the 0.4 m: 0.571″/px (LCO instrument page). Read noise 14.5 e⁻: assumption (SBIG's KAF-6303E
  // spec is ~15 e⁻). Full well 100,000 e⁻ (assumption). Pixels are 9 µm; the CR geometry keeps 15 µm (assumption).
  "0.4m": {
    aperture: 0.4,
    seeing: 2.07,
    camera: {
      name: "lco-0.4m-sbig",
      pixelScale: 0.571,
      zeroPoint: scaledZeroPoints(0.4),
      skyBrightness: DECAM.skyBrightness,
      ccd: thinCcd(14.5),
    },
  },
  // Sinistro on the 1 m: 4K×4K 15 µm, 0.389″/px, read noise 7.5–8 e⁻, gain 1.0 after processing, full well
  // 100,000–120,000 e⁻, dark current 0.002 e⁻/s (lco.global/observatory/instruments/sinistro).
  "1m": {
    aperture: 1.0,
    seeing: 2.04,
    camera: {
      name: "lco-1m-sinistro",
      pixelScale: 0.389,
      zeroPoint: scaledZeroPoints(1.0),
      skyBrightness: DECAM.skyBrightness,
      ccd: thinCcd(7.5),
    },
  },
  // Spectral on the 2 m (FTN/FTS): Fairchild 4K×4K 15 µm read binned 2×2, 0.30″/px (the brief / LCO instrument
  // page). Read noise 8 e⁻ per binned pixel: assumption, as Sinistro's CCD486.
  "2m": {
    aperture: 2.0,
    seeing: 1.44,
    camera: {
      name: "lco-2m-spectral",
      pixelScale: 0.30,
      zeroPoint: scaledZeroPoints(2.0),
      skyBrightness: DECAM.skyBrightness,
      ccd: thinCcd(8.0),
    },
  },
};
