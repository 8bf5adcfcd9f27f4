// The CCD and its readout: Poisson sampling of expected charge, full-well saturation with bleeding along columns,
// bad columns, read noise, gain, bias, and the 16-bit ADC.
import type { Rng } from "../../nn/init.ts";
import type { Ccd } from "./constants.ts";
import { poisson } from "./random.ts";

/** counts[i] = Poisson(expected[i]) (e⁻). */
export function poissonImage(expected: Float32Array, rng: Rng): Float32Array {
  const out = new Float32Array(expected.length);
  for (let i = 0; i < expected.length; i++) out[i] = poisson(rng, expected[i]);
  return out;
}

/**
 * Charge above the full well spills to the neighbours in the same column (the parallel-clock direction), half
 * up and half down, filling each pixel to the full well before moving on; charge that reaches the edge is lost.
 * Returns the number of pixels at the full well.
 */
export function bleed(charge: Float32Array, width: number, height: number, fullWell: number): number {
  const up = new Float64Array(height), down = new Float64Array(height);
  let full = 0;
  for (let x = 0; x < width; x++) {
    let any = false;
    for (let y = 0; y < height; y++) {
      const i = y * width + x;
      const excess = charge[i] - fullWell;
      if (excess > 0) {
        up[y] = down[y] = excess / 2;
        charge[i] = fullWell;
        any = true;
      } else {
        up[y] = down[y] = 0;
      }
    }
    if (!any) continue;
    let carry = 0;
    for (let y = 0; y < height; y++) {
      const i = y * width + x;
      const q = charge[i] + carry + up[y];
      carry = q > fullWell ? q - fullWell : 0;
      charge[i] = q - carry;
    }
    carry = 0;
    for (let y = height - 1; y >= 0; y--) {
      const i = y * width + x;
      const q = charge[i] + carry + down[y];
      carry = q > fullWell ? q - fullWell : 0;
      charge[i] = q - carry;
    }
    for (let y = 0; y < height; y++) if (charge[y * width + x] >= fullWell) full++;
  }
  return full;
}

export interface BadColumn {
  x: number;
  y0: number;
  y1: number;
  /** "dead": collects nothing; "hot": a constant extra charge. */
  kind: "dead" | "hot";
  /** e⁻ added per pixel (hot columns). */
  charge: number;
}

/** A few bad columns per 2048 columns (assumption): dead or hot, spanning the whole column or from a defect
 * to the readout edge (row 0 side), as charge-transfer traps do. */
export function drawBadColumns(rng: Rng, width: number, height: number): BadColumn[] {
  const count = 1 + rng.int(Math.max(1, Math.round(3 * width / 2048)));
  const out: BadColumn[] = [];
  for (let k = 0; k < count; k++) {
    const whole = rng.next() < 0.5;
    out.push({
      x: rng.int(width),
      y0: 0,
      y1: whole ? height : 1 + rng.int(height),
      kind: rng.next() < 0.5 ? "dead" : "hot",
      charge: 200 * 10 ** (1.5 * rng.next()),
    });
  }
  return out;
}

export function applyBadColumns(charge: Float32Array, width: number, columns: readonly BadColumn[]): void {
  for (const c of columns) {
    for (let y = c.y0; y < c.y1; y++) {
      const i = y * width + c.x;
      charge[i] = c.kind === "dead" ? 0 : charge[i] + c.charge;
    }
  }
}

/** Overscan level of the raw readout, ADU (assumption): only used so that the ADC's [0, adcMax] clip happens where
 * a real raw frame clips, whatever bias the output is given. */
export const RAW_BIAS = 1000;

/** ADU = round((charge + N(0, readNoise)) / gain + RAW_BIAS) clipped to [0, adcMax], then − RAW_BIAS + bias.
 * Writes the image in place and returns it. */
export function readout(charge: Float32Array, ccd: Ccd, bias: number, rng: Rng): Float32Array {
  const inv = 1 / ccd.gain, rn = ccd.readNoise, max = ccd.adcMax, shift = bias - RAW_BIAS;
  for (let i = 0; i < charge.length; i++) {
    const raw = Math.round((charge[i] + rn * rng.normal()) * inv + RAW_BIAS);
    charge[i] = (raw < 0 ? 0 : raw > max ? max : raw) + shift;
  }
  return charge;
}
