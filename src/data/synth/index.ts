// The simulator's public face: DECam-like science frames, DECam / LCO dark frames with true CR masks, and the
// paper's CR injection arithmetic.
export { type Band, BANDS, type Ccd, DECAM, LCO_THIN } from "./constants.ts";
export { type CosmicRates, type CosmicStats, electronRange } from "./cosmics.ts";
export {
  type CcdName,
  CCDS,
  CR_RATES,
  type DarkFrame,
  type DarkMeta,
  type DarkOptions,
  maskThreshold,
  simulateDark,
} from "./dark.ts";
export { injectCosmics, type Injected, type InjectOptions, KC, robustSigma } from "./inject.ts";
export { asinhStretch, cutout, encodePng } from "./png.ts";
export { type ScienceFrame, type ScienceMeta, type ScienceOptions, simulateScience } from "./science.ts";
export { countRate, skyRate } from "./sky.ts";
export { type Camera, DECAM_CAMERA } from "./constants.ts";
export { LCO_CLASSES, type LcoClass, type Telescope, TELESCOPES } from "./lco.ts";
