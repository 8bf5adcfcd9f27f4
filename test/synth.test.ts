// The frame simulator (src/data/synth): determinism, the photometric constants, noise, PSF, saturation, the CR
// calibration and morphology, and the injection arithmetic. Small frames, except the CR calibration (4 CCDs' worth).
import { describe, expect, it } from "vitest";
import { readFits, readImage } from "../src/data/fits.ts";
import { Rng } from "../src/nn/init.ts";
import { main as synthCli } from "../src/cli/synth.ts";
import { electronRange } from "../src/data/synth/cosmics.ts";
import { encodePng } from "../src/data/synth/png.ts";
import { poisson } from "../src/data/synth/random.ts";
import { type Band, injectCosmics, robustSigma, simulateDark, simulateScience } from "../src/data/synth/index.ts";

/** Typed here, not imported: the test recomputes the sky from the stated sources. */
const SKY_MAG: Record<Band, number> = { g: 22.0, r: 21.1, i: 19.9, z: 18.7 }; // DES, mag/arcsec²
const ZERO_POINT: Record<Band, number> = { g: 25.001, r: 25.209, i: 25.149, z: 24.875 }; // mag for 1 e⁻/s
const PIXEL_SCALE = 0.263, GAIN = 4, READ_NOISE = 7, EXPOSURE = 90, FULL_WELL = 150_000;

const empty = { starDensity: 0, galaxyDensity: 0 } as const;

function meanVar(a: Float32Array): [number, number] {
  let s = 0, s2 = 0;
  for (const v of a) (s += v), (s2 += v * v);
  const m = s / a.length;
  return [m, s2 / a.length - m * m];
}

function bytesOf(a: Float32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** Sizes of the 8-connected components of a mask. */
function components(mask: Uint8Array, width: number): number[] {
  const height = mask.length / width, seen = new Uint8Array(mask.length), sizes: number[] = [], stack: number[] = [];
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i] || seen[i]) continue;
    let size = 0;
    stack.push(i), (seen[i] = 1);
    while (stack.length) {
      const p = stack.pop()!, x = p % width, y = (p - x) / width;
      size++;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx, ny = y + dy, q = ny * width + nx;
          if (nx >= 0 && nx < width && ny >= 0 && ny < height && mask[q] && !seen[q]) stack.push(q), (seen[q] = 1);
        }
      }
    }
    sizes.push(size);
  }
  return sizes;
}

describe("synth: determinism", () => {
  it("same seed gives identical bytes, another seed differs (science and dark)", () => {
    const opts = { width: 96, height: 80, band: "r" as const, badColumns: true };
    const a = simulateScience({ ...opts, seed: 5 }), b = simulateScience({ ...opts, seed: 5 });
    const c = simulateScience({ ...opts, seed: 6 });
    expect(bytesOf(a.image)).toEqual(bytesOf(b.image));
    expect(bytesOf(a.image)).not.toEqual(bytesOf(c.image));
    const d = simulateDark({ width: 128, height: 128, exposure: 600, seed: 1 });
    const e = simulateDark({ width: 128, height: 128, exposure: 600, seed: 1 });
    const f = simulateDark({ width: 128, height: 128, exposure: 600, seed: 2 });
    expect(bytesOf(d.image)).toEqual(bytesOf(e.image));
    expect(d.crMask).toEqual(e.crMask);
    expect(bytesOf(d.image)).not.toEqual(bytesOf(f.image));
  });
});

describe("synth: photometry and noise", () => {
  for (const band of ["g", "r", "i", "z"] as const) {
    it(`${band}: sky level and pixel variance of an empty frame`, () => {
      const expected = 10 ** (-0.4 * (SKY_MAG[band] - ZERO_POINT[band])) * PIXEL_SCALE ** 2 * EXPOSURE / GAIN;
      const f = simulateScience({ width: 256, height: 256, band, seed: 11, ...empty });
      expect(f.sky).toBeCloseTo(expected, 9);
      const [mean, variance] = meanVar(f.image);
      // Mean: σ/√N ≈ 0.02–0.05 ADU here.
      expect(Math.abs(mean - expected)).toBeLessThan(0.2);
      // Poisson sky + read noise, in ADU², plus 1/12 for rounding to whole ADU.
      const model = expected / GAIN + (READ_NOISE / GAIN) ** 2 + 1 / 12;
      expect(variance / model).toBeGreaterThan(0.97);
      expect(variance / model).toBeLessThan(1.03);
    });
  }
  it("sky values (ADU in 90 s) are the documented ones", () => {
    const sky = (b: Band) => simulateScience({ width: 8, height: 8, band: b, seed: 1, ...empty }).sky;
    expect(sky("g")).toBeCloseTo(24.69, 1);
    expect(sky("r")).toBeCloseTo(68.50, 1);
    expect(sky("i")).toBeCloseTo(195.75, 1);
    expect(sky("z")).toBeCloseTo(459.30, 1);
  });
});

/** FWHM (pixels) of a star at the centre of a pixel (cx, cy): least-squares Moffat fit (β known, α scanned,
 * amplitude solved) of the sky-subtracted pixels within 3 FWHM, the model integrated over each pixel. */
function fitFwhm(image: Float32Array, width: number, cx: number, cy: number, sky: number, beta: number): number {
  const r = 12, sub = 8;
  let best = Infinity, bestAlpha = 0;
  for (let alpha = 1; alpha <= 8; alpha += 0.005) {
    let sxy = 0, sxx = 0, syy = 0;
    const model: number[] = [], data: number[] = [];
    for (let y = Math.floor(cy) - r; y <= Math.floor(cy) + r; y++) {
      for (let x = Math.floor(cx) - r; x <= Math.floor(cx) + r; x++) {
        let m = 0;
        for (let j = 0; j < sub; j++) {
          for (let i = 0; i < sub; i++) {
            const dx = x + (i + 0.5) / sub - cx, dy = y + (j + 0.5) / sub - cy;
            m += (1 + (dx * dx + dy * dy) / (alpha * alpha)) ** -beta;
          }
        }
        model.push(m), data.push(image[y * width + x] - sky);
      }
    }
    for (let k = 0; k < model.length; k++) (sxy += model[k] * data[k]), (sxx += model[k] ** 2), (syy += data[k] ** 2);
    const residual = syy - sxy * sxy / sxx;
    if (residual < best) (best = residual), (bestAlpha = alpha);
  }
  return 2 * bestAlpha * Math.sqrt(2 ** (1 / beta) - 1);
}

describe("synth: PSF, saturation and bleeding", () => {
  for (const [seeing, beta] of [[0.9, 2.5], [1.1, 3.5], [1.3, 4.765]]) {
    it(`FWHM of a bright unsaturated star ≈ ${seeing}″ (β ${beta})`, () => {
      const f = simulateScience({
        width: 64,
        height: 64,
        band: "r",
        seed: 3,
        seeing,
        beta,
        ...empty,
        extraStars: [{ x: 32.5, y: 32.5, mag: 16 }],
      });
      const peak = Math.max(...f.image);
      expect(peak).toBeLessThan(FULL_WELL / GAIN / 2); // unsaturated
      expect(peak).toBeGreaterThan(1000);
      const fwhm = fitFwhm(f.image, 64, 32.5, 32.5, f.sky, beta) * PIXEL_SCALE;
      console.log(`synth: requested FWHM ${seeing}″, fitted ${fwhm.toFixed(3)}″`);
      expect(Math.abs(fwhm / seeing - 1)).toBeLessThan(0.1);
    });
  }

  it("a very bright star saturates at the full well and bleeds along its column", () => {
    const f = simulateScience({
      width: 128,
      height: 256,
      band: "r",
      seed: 4,
      seeing: 1.0,
      ...empty,
      extraStars: [{ x: 64.5, y: 128.5, mag: 11 }],
    });
    const level = FULL_WELL / GAIN;
    const max = Math.max(...f.image);
    expect(max).toBeLessThan(level + 5 * READ_NOISE / GAIN);
    expect(max).toBeGreaterThan(level - 5 * READ_NOISE / GAIN);
    const full = (x: number, y: number) => f.image[y * 128 + x] > level - 5 * READ_NOISE / GAIN;
    let tall = 0, wide = 0;
    for (let y = 0; y < 256; y++) if (full(64, y)) tall++;
    for (let x = 0; x < 128; x++) if (full(x, 128)) wide++;
    expect(f.meta.saturated).toBeGreaterThan(0);
    expect(tall).toBeGreaterThan(4 * wide); // the trail runs along the column, the core is round
  });
});

describe("synth: cosmic rays", () => {
  it("90 s DECam darks have 0.027% ± 20% CR pixels (16 frames of 1024×2048 = 4 CCDs)", () => {
    let flagged = 0, pixels = 0;
    for (let seed = 1; seed <= 16; seed++) {
      const d = simulateDark({ width: 1024, height: 2048, exposure: 90, seed });
      for (const m of d.crMask) flagged += m;
      pixels += d.crMask.length;
      // The mask is the CR charge above 3 read-noise σ, and only where there is CR charge.
      for (let i = 0; i < d.crMask.length; i++) if (d.crMask[i]) expect(d.crCharge[i]).toBeGreaterThan(21);
    }
    const fraction = flagged / pixels;
    console.log(`synth: 90 s DECam CR pixel fraction ${(fraction * 100).toFixed(4)}% (target 0.027%)`);
    expect(fraction).toBeGreaterThan(0.00027 * 0.8);
    expect(fraction).toBeLessThan(0.00027 * 1.2);
  });

  it("DECam hits are long tracks and worms, LCO thin-CCD hits mostly 1–2 pixels", () => {
    const decam = simulateDark({ width: 1024, height: 1024, exposure: 1200, seed: 8 });
    const lco = simulateDark({ width: 1024, height: 1024, exposure: 1200, seed: 8, ccd: "lco-thin" });
    const d = components(decam.crMask, 1024), l = components(lco.crMask, 1024);
    const mean = (s: number[]) => s.reduce((a, b) => a + b, 0) / s.length;
    const small = l.filter((s) => s <= 2).length / l.length;
    console.log(
      `synth: mean CR size decam ${mean(d).toFixed(1)} px (${d.length}), lco-thin ${mean(l).toFixed(2)} px ` +
        `(${l.length}), lco ≤ 2 px: ${(small * 100).toFixed(0)}%`,
    );
    expect(mean(d)).toBeGreaterThan(5 * mean(l));
    expect(small).toBeGreaterThan(0.6);
    expect(Math.max(...d)).toBeGreaterThan(40); // some long tracks / worms
  });

  it("electron ranges follow Katz–Penfold", () => {
    expect(electronRange(1)).toBeCloseTo(0.412 / 2.33 * 1e4, 6); // µm
    expect(electronRange(0.1)).toBeGreaterThan(50);
    expect(electronRange(0.1)).toBeLessThan(70);
  });

  it("science frames can carry their own cosmic rays and mask", () => {
    const f = simulateScience({ width: 512, height: 512, band: "i", seed: 2, cosmics: true, ...empty });
    const g = simulateScience({ width: 512, height: 512, band: "i", seed: 2, ...empty });
    expect(f.crMask).toBeDefined();
    expect(g.crMask).toBeUndefined();
    const flagged = f.crMask!.reduce((a, b) => a + b, 0);
    expect(flagged).toBeGreaterThan(0);
  });
});

describe("synth: injection", () => {
  it("C = U + k_c (σ_U/σ_D)(D − d₀) ⊙ M exactly", () => {
    const rng = new Rng(1);
    const n = 4096;
    const U = Float32Array.from({ length: n }, () => 100 + 5 * rng.normal());
    const D = Float32Array.from({ length: n }, () => 2 * rng.normal() + (rng.next() < 0.05 ? 500 : 0));
    const M = Uint8Array.from(D, (v) => (v > 100 ? 1 : 0));
    const out = injectCosmics(U, D, M, { sigmaScience: 5, sigmaDark: 2, darkLevel: 0.5 });
    const k = (1 / 8) * 5 / 2;
    expect(out.factor).toBe(k);
    for (let i = 0; i < n; i++) {
      expect(out.image[i]).toBe(M[i] ? Math.fround(U[i] + k * (D[i] - 0.5)) : U[i]);
    }
    expect(out.mask).toEqual(M);
    expect(out.mask).not.toBe(M);
  });

  it("default σ and level: 3σ-clipped statistics, CR pixels left out of the dark's", () => {
    const d = simulateDark({ width: 512, height: 512, exposure: 600, seed: 4 });
    const s = simulateScience({ width: 512, height: 512, band: "r", seed: 4 });
    const out = injectCosmics(s.image, d.image, d.crMask);
    const darkModel = Math.sqrt(((600 * 10 / 3600) + READ_NOISE ** 2) / GAIN ** 2 + 1 / 12);
    expect(out.sigmaDark / darkModel).toBeGreaterThan(0.95);
    expect(out.sigmaDark / darkModel).toBeLessThan(1.05);
    const skyModel = Math.sqrt(s.sky / GAIN + (READ_NOISE / GAIN) ** 2 + 1 / 12);
    expect(out.sigmaScience / skyModel).toBeGreaterThan(0.95);
    expect(out.sigmaScience / skyModel).toBeLessThan(1.08);
    expect(robustSigma(new Float32Array(1000)).sigma).toBe(0);
  });
});

describe("synth: samplers, PNG, CLI", () => {
  it("Poisson deviates have the right mean and variance", () => {
    const rng = new Rng(9);
    for (const lam of [0.3, 4, 25, 1e4]) {
      let s = 0, s2 = 0;
      const n = 200_000;
      for (let i = 0; i < n; i++) {
        const k = poisson(rng, lam);
        (s += k), (s2 += k * k);
      }
      const mean = s / n, variance = s2 / n - mean * mean;
      expect(Math.abs(mean - lam)).toBeLessThan(5 * Math.sqrt(lam / n));
      expect(Math.abs(variance / lam - 1)).toBeLessThan(0.02);
    }
  });

  it("PNG previews decode back to the pixels", async () => {
    const grey = Uint8Array.from({ length: 12 }, (_, i) => i * 20);
    const png = await encodePng(grey, 4, 3);
    expect([...png.subarray(0, 8)]).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
    const view = new DataView(png.buffer, png.byteOffset);
    const idatLength = view.getUint32(33);
    const idat = png.slice(41, 41 + idatLength);
    const raw = new Uint8Array(
      await new Response(new Blob([idat]).stream().pipeThrough(new DecompressionStream("deflate"))).arrayBuffer(),
    );
    expect([...raw]).toEqual([0, 0, 20, 40, 60, 0, 80, 100, 120, 140, 0, 160, 180, 200, 220]);
  });

  it("the CLI writes FITS with the simulation's header cards", async () => {
    const dir = await Deno.makeTempDir();
    try {
      const log = console.log;
      console.log = () => {};
      const a = await synthCli(["science", "--band", "z", "--size", "64x48", "--seed", "3", "--out", `${dir}/s.fits`]);
      const b = await synthCli([
        "dark",
        "--exposure",
        "300",
        "--seed",
        "2",
        "--size",
        "64x64",
        "--out",
        `${dir}/d.fits`,
        "--mask",
        `${dir}/m.fits`,
      ]);
      console.log = log;
      expect([a, b]).toEqual([0, 0]);
      const s = await readImage(await readFits(await Deno.readFile(`${dir}/s.fits`), "s.fits"));
      expect([s.width, s.height]).toEqual([64, 48]);
      expect(s.header.get("BAND")).toBe("z");
      expect(s.header.number("EXPTIME")).toBe(90);
      expect(s.header.number("SEED")).toBe(3);
      expect(s.header.number("GAIN")).toBe(4);
      expect(s.header.number("SKY")).toBeCloseTo(459.3, 1);
      expect(s.header.number("SEEING")).toBeGreaterThanOrEqual(0.9);
      expect(s.header.string("SIMULATR")).toMatch(/crgpu synth/);
      const m = await readImage(await readFits(await Deno.readFile(`${dir}/m.fits`), "m.fits"));
      expect(m.header.number("EXPTIME")).toBe(300);
      expect(m.header.string("CCD")).toBe("decam");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});
