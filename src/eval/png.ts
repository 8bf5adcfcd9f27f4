// PNG helpers for the report's cutouts (RGB through the simulator's encoder), and the display stretch of a cutout.

import { encodePng } from "../data/synth/png.ts";

/** Encodes width × height RGB triples (row 0 at the top) as a PNG. */
export function encodePngRgb(rgb: Uint8Array, width: number, height: number): Promise<Uint8Array> {
  return encodePng(rgb, width, height, 3);
}

/** data: URI of a PNG. */
export function dataUri(png: Uint8Array): string {
  let bin = "";
  for (let i = 0; i < png.length; i += 0x8000) bin += String.fromCharCode(...png.subarray(i, i + 0x8000));
  return `data:image/png;base64,${btoa(bin)}`;
}

/**
 * Grey levels of an image cutout: asinh stretch with black at median − σ, the linear-to-log knee at σ (the robust
 * noise, 1.4826 × MAD) and white at the 99.5th percentile (at least median + 20σ), so sky noise, sources and CR
 * hits are all visible. Non-finite pixels are black. Row order is kept (callers flip all panels alike).
 */
export function stretch(image: ArrayLike<number>): Uint8Array {
  const finite = Array.from(image).filter(Number.isFinite).sort((a, b) => a - b);
  const out = new Uint8Array(image.length);
  if (finite.length === 0) return out;
  const q = (p: number) => finite[Math.min(finite.length - 1, Math.floor(p * finite.length))];
  const med = q(0.5);
  const mad = finite.map((v) => Math.abs(v - med)).sort((a, b) => a - b)[finite.length >> 1];
  const sigma = Math.max(1.4826 * mad, 1e-6 * Math.max(1, Math.abs(med)));
  const low = med - sigma, high = Math.max(q(0.995), med + 20 * sigma);
  const top = Math.asinh((high - low) / sigma);
  for (let i = 0; i < image.length; i++) {
    const v = image[i];
    if (!Number.isFinite(v)) continue;
    out[i] = Math.round(255 * Math.min(1, Math.asinh(Math.max(0, v - low) / sigma) / top));
  }
  return out;
}
