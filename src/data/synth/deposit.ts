// Charge deposition with lateral diffusion: a point charge spread as a 2-D Gaussian, integrated over pixels.
import { normalCdf } from "./random.ts";

const MAX_SPAN = 15;
// Scratch for the per-axis pixel weights: reused so the inner loops never allocate.
const wx = new Float64Array(MAX_SPAN), wy = new Float64Array(MAX_SPAN);

/** Fills `w` with the fraction of a N(c, σ²) charge falling in pixels p0…p0+n−1; returns p0 (n via `span`). */
function weights(w: Float64Array, c: number, sigma: number, span: number): number {
  const p0 = Math.floor(c) - (span >> 1);
  let prev = normalCdf((p0 - c) / sigma);
  for (let k = 0; k < span; k++) {
    const next = normalCdf((p0 + k + 1 - c) / sigma);
    w[k] = next - prev;
    prev = next;
  }
  return p0;
}

/** Adds `q` e⁻ at (x, y) (pixel units, pixel centres at integer + 0.5) spread by a Gaussian of σ pixels. */
export function deposit(
  image: Float32Array,
  width: number,
  height: number,
  x: number,
  y: number,
  q: number,
  sigma: number,
): void {
  if (sigma < 0.08) {
    // Narrower than a pixel's edge effects: all of it in one pixel.
    const px = Math.floor(x), py = Math.floor(y);
    if (px >= 0 && px < width && py >= 0 && py < height) image[py * width + px] += q;
    return;
  }
  const span = Math.min(MAX_SPAN, 2 * Math.ceil(3 * sigma) + 1);
  const x0 = weights(wx, x, sigma, span), y0 = weights(wy, y, sigma, span);
  for (let j = 0; j < span; j++) {
    const py = y0 + j;
    if (py < 0 || py >= height || wy[j] < 1e-6) continue;
    const row = py * width, qy = q * wy[j];
    for (let i = 0; i < span; i++) {
      const px = x0 + i;
      if (px >= 0 && px < width) image[row + px] += qy * wx[i];
    }
  }
}
