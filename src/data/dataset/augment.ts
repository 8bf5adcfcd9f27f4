// Training-time augmentation of one chunk (paper §2.3 and the usual geometric ones), all from one seeded Rng:
//   random crop (side `crop`, a multiple of 4), one of the 8 flips/rotations of the square (image, mask and ignore
//   alike), and the sky term image += α · sky with α ~ U[lo, hi] (the paper: [−0.9, 3]), which varies the sky level
//   from 0.1× to 4× the observed one without changing the noise.
import type { Rng } from "../../nn/init.ts";

export interface AugmentOptions {
  crop: number;
  flips: boolean;
  sky: [number, number] | false;
  /** Share of crops placed over a CR pixel of the chunk (Cosmic-CoNN's CR-aware sampling); 0 = uniform crops. */
  crShare?: number;
}

export interface Augmented {
  cropX: number;
  cropY: number;
  /** 0…7: bit 0 mirror x, bit 1 mirror y, bit 2 transpose (applied first). 0 = unchanged. */
  transform: number;
  alpha: number;
}

/** Draws the augmentation of one chunk. Always draws the same numbers, whatever is enabled, so that turning one
 * option on or off does not change the others. With `crShare` > 0 and a mask holding CR pixels, that share of the
 * crops is moved to contain one CR pixel, chosen uniformly, at a uniformly random place in the crop. */
export function drawAugment(rng: Rng, patch: number, o: AugmentOptions, mask?: Uint8Array): Augmented {
  const span = patch - o.crop + 1;
  let cx = rng.int(span), cy = rng.int(span);
  const t = rng.int(8), u = rng.next();
  const share = o.crShare ?? 0;
  if (share > 0 && mask && o.crop < patch) {
    const pick = rng.next(), which = rng.next(), dx = rng.int(o.crop), dy = rng.int(o.crop);
    if (pick < share) {
      let count = 0;
      for (let i = 0; i < mask.length; i++) count += mask[i] ? 1 : 0;
      if (count > 0) {
        let k = Math.floor(which * count), p = 0;
        for (; p < mask.length; p++) if (mask[p] && k-- === 0) break;
        const px = p % patch, py = (p - px) / patch;
        cx = Math.min(span - 1, Math.max(0, px - dx));
        cy = Math.min(span - 1, Math.max(0, py - dy));
      }
    }
  }
  return {
    cropX: cx,
    cropY: cy,
    transform: o.flips ? t : 0,
    alpha: o.sky ? o.sky[0] + (o.sky[1] - o.sky[0]) * u : 0,
  };
}

/** Source index in the patch × patch chunk of output pixel (x, y) of the size × size result. */
function sourceIndex(a: Augmented, patch: number, size: number, x: number, y: number): number {
  let sx = x, sy = y;
  if (a.transform & 1) sx = size - 1 - sx;
  if (a.transform & 2) sy = size - 1 - sy;
  if (a.transform & 4) [sx, sy] = [sy, sx];
  return (a.cropY + sy) * patch + a.cropX + sx;
}

/** Writes the augmented chunk into the output arrays at `offset` (size² values each). */
export function applyAugment(
  a: Augmented,
  patch: number,
  size: number,
  src: { image: Float32Array; mask: Uint8Array; ignore: Uint8Array | null; sky: number },
  out: { images: Float32Array; masks: Float32Array; ignore: Float32Array | null },
  offset: number,
): void {
  const add = a.alpha * src.sky;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const s = sourceIndex(a, patch, size, x, y), o = offset + y * size + x;
      out.images[o] = src.image[s] + add;
      out.masks[o] = src.mask[s];
      if (out.ignore) out.ignore[o] = src.ignore ? src.ignore[s] : 0;
    }
  }
}
