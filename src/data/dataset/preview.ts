// Preview sheets: example chunks of a split side by side — the image, and the image with the CR mask (red) and the
// ignored pixels (blue) laid over it — with a label per chunk and a legend, as an RGB PNG.
import { robustSigma } from "../synth/inject.ts";
import { encodePng } from "../synth/png.ts";
import { drawText } from "./font.ts";
import type { Dataset } from "./loader.ts";
import type { SplitName } from "./manifest.ts";
import { permutation, rngFor, SALT } from "./random.ts";

export type Stretch = "asinh" | "zscale";

export interface PreviewOptions {
  split: SplitName;
  count: number;
  stretch: Stretch;
  /** Title line (e.g. the dataset directory). */
  title?: string;
  /** Which chunks: a seeded random choice (default seed 1). */
  seed?: number;
}

/** IRAF's zscale, simplified: a line fitted to the sorted central sample; z1, z2 at its ends with contrast 0.25. */
function zscale(values: Float32Array): [number, number] {
  const sample = Float64Array.from(values).sort();
  const n = sample.length, mid = sample[n >> 1];
  const lo = Math.floor(n * 0.1), hi = Math.ceil(n * 0.9);
  let sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (let i = lo; i < hi; i++) (sx += i), (sy += sample[i]), (sxx += i * i), (sxy += i * sample[i]);
  const m = hi - lo, slope = (m * sxy - sx * sy) / (m * sxx - sx * sx) / 0.25;
  return [Math.max(sample[0], mid - slope * n / 2), Math.min(sample[n - 1], mid + slope * n / 2)];
}

/** Grey levels of a chunk, row 0 (FITS y = 0) at the bottom. */
function stretchChunk(image: Float32Array, size: number, stretch: Stretch): Uint8Array {
  const grey = new Uint8Array(size * size);
  let f: (v: number) => number;
  if (stretch === "zscale") {
    const [z1, z2] = zscale(image);
    f = (v) => (v - z1) / Math.max(z2 - z1, 1e-9);
  } else {
    const { median, sigma } = robustSigma(image);
    const s = Math.max(sigma, 1e-6), low = median - 2 * s, top = Math.asinh(200);
    f = (v) => Math.asinh(Math.max(0, v - low) / (2 * s)) / top;
  }
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const v = f(image[y * size + x]);
      grey[(size - 1 - y) * size + x] = Math.round(255 * Math.min(1, Math.max(0, Number.isFinite(v) ? v : 0)));
    }
  }
  return grey;
}

const GAP = 6, LABEL = 12, HEADER = 30;

export async function renderSheet(ds: Dataset, o: PreviewOptions): Promise<{ png: Uint8Array; shown: number }> {
  const total = ds.size(o.split);
  const count = Math.min(o.count, total);
  if (count === 0) throw new Error(`the ${o.split} split has no chunks`);
  const wanted = new Set(permutation(total, rngFor(o.seed ?? 1, SALT.frames)).subarray(0, count));
  const size = ds.patch, cols = Math.ceil(Math.sqrt(count)), rows = Math.ceil(count / cols);
  const cellW = 2 * size + 3 * GAP, cellH = size + LABEL + GAP;
  const width = Math.max(cols * cellW + GAP, 560), height = HEADER + rows * cellH + GAP;
  const rgb = new Uint8Array(width * height * 3).fill(24);
  const white: [number, number, number] = [235, 235, 235];
  drawText(rgb, width, height, GAP, 4, o.title ?? "", white);
  drawText(
    rgb,
    width,
    height,
    GAP,
    16,
    `${o.split}: ${count} of ${total} chunks, ${o.stretch} stretch. left: image, right:`,
    white,
  );
  const legendX = GAP +
    6 * (`${o.split}: ${count} of ${total} chunks, ${o.stretch} stretch. left: image, right:`.length + 1);
  drawText(rgb, width, height, legendX, 16, "CR MASK", [255, 70, 70]);
  drawText(rgb, width, height, legendX + 6 * 8, 16, "IGNORED", [90, 150, 255]);
  let k = 0, index = 0;
  for await (const c of ds.chunks(o.split)) {
    if (!wanted.has(index++)) continue;
    const col = k % cols, row = Math.floor(k / cols);
    const x0 = GAP + col * cellW, y0 = HEADER + row * cellH;
    const inf = c.info;
    let cr = 0;
    for (let i = 0; i < c.mask.length; i++) cr += c.mask[i];
    const label = `${inf.frame} (${inf.x},${inf.y}) sky ${Math.round(inf.sky)} cr ${cr}px`;
    drawText(rgb, width, height, x0, y0, label.slice(0, Math.floor((cellW - GAP) / 6)), white);
    const grey = stretchChunk(c.image, size, o.stretch);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const g = grey[y * size + x], src = (size - 1 - y) * size + x; // display row y shows FITS row size−1−y
        const left = ((y0 + LABEL + y) * width + x0 + x) * 3;
        rgb[left] = rgb[left + 1] = rgb[left + 2] = g;
        const right = left + (size + GAP) * 3;
        if (c.mask[src]) rgb.set([Math.round(0.45 * g + 140), Math.round(0.45 * g), Math.round(0.45 * g)], right);
        else if (c.ignore?.[src]) {
          rgb.set([Math.round(0.45 * g), Math.round(0.45 * g + 40), Math.round(0.45 * g + 140)], right);
        } else rgb[right] = rgb[right + 1] = rgb[right + 2] = g;
      }
    }
    if (++k === count) break;
  }
  return { png: await encodePng(rgb, width, height, 3), shown: k };
}
