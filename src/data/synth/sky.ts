// Sky background: surface brightness (mag/arcsec²) → e⁻/pixel/s through the zero point (mag for 1 e⁻/s).
import { type Band, DECAM } from "./constants.ts";

/** e⁻ per second from a source of magnitude `mag` for zero point `zp` (mag giving 1 e⁻/s). */
export function countRate(mag: number, zp: number): number {
  return 10 ** (-0.4 * (mag - zp));
}

/** Sky e⁻/pixel/s in `band` for DECam at the DES dark-sky brightness. */
export function skyRate(band: Band, brightness = DECAM.skyBrightness[band]): number {
  return countRate(brightness, DECAM.zeroPoint[band]) * DECAM.pixelScale * DECAM.pixelScale;
}
