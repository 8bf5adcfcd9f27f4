// Per-pixel weights for the "median-weighted" BCE, after Cosmic-CoNN's idea (Xu et al. 2023): pixels on
// astronomical sources are the hard negatives (a star's core looks like a CR), so they weigh more. A 5×5 median
// filter finds sources and not CRs (a CR covers few pixels of the 25). Our formula (not Cosmic-CoNN's exact one):
//   w = 1 + min(WMAX − 1, max(0, med5(I) − m) / (K·s))
// with m the image's median and s its robust σ (1.4826·MAD), so the sky has w = 1 and bright sources up to WMAX.

export const WMAX = 10;
export const K = 5;

function median(values: Float32Array): number {
  const s = Float32Array.from(values).sort();
  const n = s.length;
  return n % 2 ? s[(n - 1) >> 1] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
}

/** 5×5 median of an h × w image, edges by clamping coordinates. */
export function median5(img: Float32Array, w: number, h: number): Float32Array {
  const out = new Float32Array(w * h);
  const win = new Float32Array(25);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let k = 0;
      for (let dy = -2; dy <= 2; dy++) {
        const yy = Math.min(h - 1, Math.max(0, y + dy));
        for (let dx = -2; dx <= 2; dx++) win[k++] = img[yy * w + Math.min(w - 1, Math.max(0, x + dx))];
      }
      win.sort();
      out[y * w + x] = win[12];
    }
  }
  return out;
}

/** Weights for a batch of n single-channel size × size images (n·size² values). */
export function medianWeights(images: Float32Array, n: number, size: number): Float32Array {
  const plane = size * size;
  const out = new Float32Array(images.length);
  for (let i = 0; i < n; i++) {
    const img = images.subarray(i * plane, (i + 1) * plane);
    const m = median(img);
    const dev = new Float32Array(plane);
    for (let j = 0; j < plane; j++) dev[j] = Math.abs(img[j] - m);
    const s = Math.max(1.4826 * median(dev), 1e-6);
    const med = median5(img, size, size);
    for (let j = 0; j < plane; j++) {
      out[i * plane + j] = 1 + Math.min(WMAX - 1, Math.max(0, med[j] - m) / (K * s));
    }
  }
  return out;
}
