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

/**
 * Quick-look of a detection: the image (stretched) beside the same image with the mask in magenta, FITS
 * orientation (row 0 at the bottom). Small images are enlarged by a whole factor (≤ 4) and large ones reduced in
 * blocks (image: block mean, mask: any flagged pixel marks the block) so each panel's longer side is ≤ `maxSide`.
 */
export function maskPreview(
  image: Float32Array,
  mask: Uint8Array,
  width: number,
  height: number,
  maxSide = 1024,
): { rgb: Uint8Array; width: number; height: number } {
  const side = Math.max(width, height);
  const up = Math.max(1, Math.min(4, Math.floor(maxSide / side)));
  const down = Math.max(1, Math.ceil(side / maxSide));
  const bw = Math.ceil(width / down), bh = Math.ceil(height / down);
  const mean = new Float32Array(bw * bh), hit = new Uint8Array(bw * bh), n = new Uint32Array(bw * bh);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const b = Math.floor(y / down) * bw + Math.floor(x / down), v = image[y * width + x];
      if (Number.isFinite(v)) (mean[b] += v), n[b]++;
      if (mask[y * width + x]) hit[b] = 1;
    }
  }
  for (let b = 0; b < mean.length; b++) mean[b] = n[b] ? mean[b] / n[b] : NaN;
  const grey = stretch(mean);
  const pw = bw * up, W = 2 * pw, H = bh * up;
  const rgb = new Uint8Array(W * H * 3);
  for (let y = 0; y < H; y++) {
    const by = bh - 1 - Math.floor(y / up);
    for (let x = 0; x < W; x++) {
      const right = x >= pw, b = by * bw + Math.floor((right ? x - pw : x) / up), o = (y * W + x) * 3;
      if (right && hit[b]) [rgb[o], rgb[o + 1], rgb[o + 2]] = [255, 40, 140];
      else rgb[o] = rgb[o + 1] = rgb[o + 2] = grey[b];
    }
  }
  return { rgb, width: W, height: H };
}
