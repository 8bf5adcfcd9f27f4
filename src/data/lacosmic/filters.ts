// Astro-SCRAPPY's image filters (imutils.c) with its float32 arithmetic: the 2×-subsampled Laplacian, the PSF
// convolution and the boolean dilations.
import type { Region } from "./region.ts";

const f = Math.fround;

/**
 * One pixel of laplaceconvolve(subsample(src)) at (X, Y) of the virtual 2w × 2h image, with imutils.c's edge rules:
 * a missing neighbour is left out; the first row (Y = 0) is one double-precision expression rounded once, every
 * other pixel subtracts its neighbours one at a time in float32 (right, left, next row, previous row).
 */
function laplace2x(src: Float32Array, w: number, h: number, X: number, Y: number): number {
  const W = 2 * w, H = 2 * h;
  const v = (x: number, y: number) => src[(y >> 1) * w + (x >> 1)];
  const c4 = 4 * v(X, Y);
  if (Y === 0) {
    if (X === 0) return f(c4 - v(1, 0) - v(0, 1));
    if (X === W - 1) return f(c4 - v(X - 1, 0) - v(X, 1));
    return f(c4 - v(X + 1, 0) - v(X - 1, 0) - v(X, 1));
  }
  let p = f(c4);
  if (X < W - 1) p = f(p - v(X + 1, Y));
  if (X > 0) p = f(p - v(X - 1, Y));
  if (Y < H - 1) p = f(p - v(X, Y + 1));
  return f(p - v(X, Y - 1));
}

/** L+ at a border pixel: the four sub-pixels' clipped Laplacians, block-averaged in rebin's order. */
function laplacePlusEdge(src: Float32Array, w: number, h: number, x: number, y: number): number {
  const pos = (X: number, Y: number) => {
    const l = laplace2x(src, w, h, X, Y);
    return (l + Math.abs(l)) * 0.5; // clipped at 0, and −0 becomes +0 as in the fast path
  };
  let p = pos(2 * x, 2 * y);
  p = f(p + pos(2 * x, 2 * y + 1));
  p = f(p + pos(2 * x + 1, 2 * y + 1));
  p = f(p + pos(2 * x + 1, 2 * y));
  return f(p / 4);
}

/**
 * dst = rebin(max(laplaceconvolve(subsample(src)), 0)) / (2 · noise) on `region`, the Laplacian signal-to-noise
 * (2 is the subsampling factor), without building the 2× image: each sub-pixel has the pixel itself as two of its
 * four neighbours.
 */
export function laplaceToNoise(
  src: Float32Array,
  noise: Float32Array,
  dst: Float32Array,
  w: number,
  h: number,
  region: Region,
): void {
  region.forEachRun((y, x0, x1) => {
    const row = y * w;
    const inner = y > 0 && y < h - 1;
    for (let x = x0; x < x1; x++) {
      const i = row + x;
      if (!inner || x === 0 || x === w - 1) {
        dst[i] = laplacePlusEdge(src, w, h, x, y) / f(2 * noise[i]);
        continue;
      }
      const c = src[i], l = src[i - 1], r = src[i + 1], u = src[i - w], d = src[i + w];
      const c3l = f(f(3 * c) - l);
      const c4r = f(f(4 * c - r) - c);
      let tl = f(f(c3l - c) - u);
      let bl = f(f(c3l - d) - c);
      let br = f(f(c4r - d) - c);
      let tr = f(f(c4r - c) - u);
      // Clip negatives to 0 without a (mispredicted) branch: (v + |v|) / 2 is exact.
      tl = (tl + Math.abs(tl)) * 0.5;
      bl = (bl + Math.abs(bl)) * 0.5;
      br = (br + Math.abs(br)) * 0.5;
      tr = (tr + Math.abs(tr)) * 0.5;
      dst[i] = f(f(f(f(tl + bl) + br) + tr) / 4) / f(2 * noise[i]);
    }
  });
}

/**
 * dst = convolve(src, kernel) on `region` (imutils.c PyConvolve): zero padding, a true convolution (the kernel is
 * flipped), float32 products summed in float32 with rows of the image outer and columns inner.
 */
export function convolve(
  src: Float32Array,
  dst: Float32Array,
  w: number,
  h: number,
  kernel: Float32Array,
  kw: number,
  kh: number,
  region: Region,
): void {
  const bx = (kw - 1) >> 1, by = (kh - 1) >> 1;
  region.forEachRun((y, x0, x1) => {
    for (let x = x0; x < x1; x++) {
      let sum = 0;
      for (let l = -by; l <= by; l++) {
        const yy = y + l;
        if (yy < 0 || yy >= h) continue; // padded zeros add exactly nothing
        const krow = (by - l) * kw + bx, srow = yy * w + x;
        for (let k = -bx; k <= bx; k++) {
          const xx = x + k;
          if (xx < 0 || xx >= w) continue;
          sum = f(sum + f(kernel[krow - k] * src[srow + k]));
        }
      }
      dst[y * w + x] = sum;
    }
  });
}

/**
 * dilate3 at one pixel of the bit `bit` of m: the 3×3 OR inside, a copy of the input on the 1-pixel border
 * (imutils.c PyDilate3).
 */
export function dilate3At(m: Uint8Array, w: number, h: number, x: number, y: number, bit = 1): boolean {
  const i = y * w + x;
  if (x === 0 || y === 0 || x === w - 1 || y === h - 1) return (m[i] & bit) !== 0;
  return ((m[i - w - 1] | m[i - w] | m[i - w + 1] | m[i - 1] | m[i] | m[i + 1] | m[i + w - 1] | m[i + w] |
    m[i + w + 1]) & bit) !== 0;
}

export function dilate3(m: Uint8Array, w: number, h: number): Uint8Array {
  const out = new Uint8Array(w * h);
  // Scatter from the (usually few) set pixels: each sets the interior pixels around it, and a border pixel keeps
  // its own value.
  for (let i = 0; i < m.length; i++) {
    if (!m[i]) continue;
    const y = Math.floor(i / w), x = i - y * w;
    if (x === 0 || y === 0 || x === w - 1 || y === h - 1) out[i] = 1;
    for (let yy = Math.max(1, y - 1); yy <= Math.min(h - 2, y + 1); yy++) {
      for (let xx = Math.max(1, x - 1); xx <= Math.min(w - 2, x + 1); xx++) out[yy * w + xx] = 1;
    }
  }
  return out;
}

/** dilate5 (imutils.c PyDilate5): `iterations` ORs over the 5×5 square less its corners, zero beyond the edges. */
export function dilate5(m: Uint8Array, w: number, h: number, iterations: number): Uint8Array {
  let cur = new Uint8Array(w * h);
  for (let i = 0; i < cur.length; i++) cur[i] = m[i] ? 1 : 0;
  for (let it = 0; it < iterations; it++) {
    const out = new Uint8Array(w * h);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        if (!cur[y * w + x]) continue;
        // Scatter: every set pixel sets its whole footprint (the footprint is symmetric).
        for (let dy = -2; dy <= 2; dy++) {
          const yy = y + dy;
          if (yy < 0 || yy >= h) continue;
          const reach = dy === -2 || dy === 2 ? 1 : 2;
          for (let dx = -reach; dx <= reach; dx++) {
            const xx = x + dx;
            if (xx >= 0 && xx < w) out[yy * w + xx] = 1;
          }
        }
      }
    }
    cur = out;
  }
  return cur;
}
