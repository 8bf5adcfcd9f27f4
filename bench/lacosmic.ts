// LACosmic CPU benchmark on a deterministic synthetic frame (sky, stars, a few saturated, noise, cosmic rays).
//   deno run -A bench/lacosmic.ts [--json] [--width 4096] [--height 2048] [--reps 3] [--seed 1]
//                                 [--sepmed | --no-sepmed] [--write frame.fits]
// Prints the median and fastest wall-clock seconds of detectCosmics with Astro-SCRAPPY's defaults (gain 1,
// readnoise 6.5). --write saves the frame as FITS so that Astro-SCRAPPY can be timed on the same pixels (dev only):
//   /usr/bin/python3 -c "import time, numpy as np, astroscrappy; from astropy.io import fits
//   d = fits.getdata('frame.fits').astype(np.float32); t = time.perf_counter(); m, c = astroscrappy.detect_cosmics(d)
//   print(time.perf_counter() - t, m.sum())"
import { writeFits } from "../src/data/fits.ts";
import { detectCosmics } from "../src/data/lacosmic.ts";
import { parseArgs, writeResults } from "../src/cli/args.ts";

/** Mulberry32: small, seeded, good enough for test images. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Synthetic frame in ADU: 200 sky, Gaussian stars (1 in 50 saturating at 60000), shot + read noise, CR tracks. */
export function syntheticFrame(width: number, height: number, seed = 1): { data: Float32Array; crs: number } {
  const rand = rng(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const img = new Float64Array(width * height).fill(200);
  const stars = Math.round(width * height / 4000);
  for (let s = 0; s < stars; s++) {
    const cx = rand() * width, cy = rand() * height, sigma = 1 + 1.5 * rand();
    const peak = s % 50 === 0 ? 200000 : 100 + 5000 * rand() ** 3;
    const r = Math.ceil(5 * sigma);
    for (let y = Math.max(0, Math.floor(cy) - r); y <= Math.min(height - 1, Math.floor(cy) + r); y++) {
      for (let x = Math.max(0, Math.floor(cx) - r); x <= Math.min(width - 1, Math.floor(cx) + r); x++) {
        img[y * width + x] += peak * Math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * sigma * sigma));
      }
    }
  }
  for (let i = 0; i < img.length; i++) img[i] = Math.min(60000, img[i] + Math.sqrt(img[i]) * gauss() + 5 * gauss());
  const crs = Math.round(width * height / 2000);
  for (let c = 0; c < crs; c++) {
    let x = Math.floor(rand() * width), y = Math.floor(rand() * height);
    const dx = Math.floor(rand() * 3) - 1, dy = Math.floor(rand() * 3) - 1, len = 1 + Math.floor(rand() * 6);
    for (let t = 0; t < len && x >= 0 && y >= 0 && x < width && y < height; t++, x += dx, y += dy) {
      img[y * width + x] += 200 + 3000 * rand();
    }
  }
  return { data: Float32Array.from(img), crs };
}

if (import.meta.main) {
  const args = parseArgs(Deno.args, {
    json: false,
    width: "4096",
    height: "2048",
    reps: "3",
    seed: "1",
    sepmed: true,
    write: "",
  });
  const width = Number(args.width), height = Number(args.height), reps = Number(args.reps);
  const { data, crs } = syntheticFrame(width, height, Number(args.seed));
  if (args.write) {
    await Deno.writeFile(args.write, writeFits([{ data, width, height }]));
    console.error(`wrote ${args.write}`);
  }
  const times: number[] = [];
  let flagged = 0;
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    const { mask } = detectCosmics(data, width, height, { sepmed: args.sepmed });
    times.push((performance.now() - t0) / 1000);
    flagged = mask.reduce((a, b) => a + b, 0);
  }
  const sorted = [...times].sort((a, b) => a - b);
  const seconds = sorted[Math.floor(times.length / 2)], fastest = sorted[0];
  const report = {
    adapter: "cpu",
    bench: "lacosmic",
    width,
    height,
    sepmed: args.sepmed,
    injected_crs: crs,
    flagged,
    seconds,
    fastest,
    runs: times,
  };
  if (args.json) {
    console.log(JSON.stringify(report));
    await writeResults("lacosmic", report);
  } else {
    console.log(
      `lacosmic ${width}×${height} sepmed=${args.sepmed}: ${seconds.toFixed(3)} s (median of ${reps}; fastest ` +
        `${fastest.toFixed(3)} s), ${flagged} pixels flagged, ${crs} CRs injected`,
    );
  }
}
