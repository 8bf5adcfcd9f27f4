// synthDataset: science frames and darks from the simulator, through the same recipe as buildDataset (the pipeline
// is shared), in one seeded call. Modes:
//   decam  DECam-like frames in g, r, i, z (90 s), darks of 90–1200 s on the 250 µm DECam CCD;
//   lco    the LCO-like generalisation set: the 0.4 m / 1 m / 2 m classes (pixel scale, seeing, read noise) with
//          thin-CCD darks (1–2 px hits); a test split only, by default.
//   random domain randomisation (synth/randomized.ts): every frame its own instrument and night (PSF 1.5–6 px,
//          sky, gain, read noise, bias, star density, large galaxies with HII knots, hot pixels), darks thick or
//          thin in one set.
// Science frames are made without their own exposure's cosmic rays (exact labels); LACosmic still runs on them.
import { type Band, BANDS, type Ccd, DECAM } from "../synth/constants.ts";
import { simulateDark } from "../synth/dark.ts";
import { RAW_BIAS } from "../synth/detector.ts";
import { LCO_CLASSES, type Telescope, TELESCOPES } from "../synth/lco.ts";
import { addHotPixels, drawInstrument, type RandomInstrument } from "../synth/randomized.ts";
import { simulateScience } from "../synth/science.ts";
import { robustSigma } from "../synth/inject.ts";
import { DatasetError } from "./errors.ts";
import type { Manifest } from "./manifest.ts";
import { finishOut, memorySink, prepareOut } from "./output.ts";
import { type DarkSource, runPipeline, type ScienceSource } from "./pipeline.ts";
import { mix, rngFor, SALT } from "./random.ts";
import { DEFAULT_RECIPE, type RecipeParams } from "./recipe.ts";

export type SynthMode = "decam" | "lco" | "random";
export type SynthPreset = "quick" | "default" | "paper";

export interface SynthOptions {
  /** Directory to write; absent: the dataset comes back in memory (manifest + shard bytes). */
  out?: string;
  /** Replace a dataset already in `out`. */
  force?: boolean;
  mode?: SynthMode;
  preset?: SynthPreset;
  seed?: number;
  /** Science frames for train + val (the preset's by default). */
  frames?: number;
  /** Science frames for test. */
  testFrames?: number;
  width?: number;
  height?: number;
  /** lco: only this telescope class (default: the three in turn). */
  telescope?: Telescope;
  /** Dark exposure range, s (default [90, 1200], the paper's darks). */
  darkExposure?: [number, number];
  patch?: number;
  /** Recipe overrides (darkSeedSigma, kc, lacosmic, …). */
  recipe?: Partial<Omit<RecipeParams, "patch">>;
  onProgress?: (message: string) => void;
}

export interface SynthResult {
  manifest: Manifest;
  /** Shard bytes by file name, when `out` was not given. */
  shards?: Map<string, Uint8Array>;
}

interface Preset {
  width: number;
  height: number;
  frames: number;
  testFrames: number;
}

/** decam paper: 40 frames per band of one DECam CCD (2048×4096) = 160 × 128 = 20,480 chunks, as the paper. */
export const PRESETS: Record<SynthMode, Record<SynthPreset, Preset>> = {
  decam: {
    quick: { width: 1024, height: 1024, frames: 16, testFrames: 4 },
    default: { width: 2048, height: 4096, frames: 16, testFrames: 4 },
    paper: { width: 2048, height: 4096, frames: 160, testFrames: 40 },
  },
  lco: {
    quick: { width: 1024, height: 1024, frames: 0, testFrames: 6 },
    default: { width: 2048, height: 2048, frames: 0, testFrames: 12 },
    paper: { width: 2048, height: 2048, frames: 0, testFrames: 48 },
  },
  random: {
    quick: { width: 768, height: 768, frames: 24, testFrames: 8 },
    default: { width: 1024, height: 1024, frames: 96, testFrames: 16 },
    paper: { width: 1024, height: 1024, frames: 640, testFrames: 64 },
  },
};

/** Saturation in ADU of a simulated readout: the full well less 5σ of read noise, or the ADC ceiling. */
function saturation(ccd: Ccd): number {
  return Math.min((ccd.fullWell - 5 * ccd.readNoise) / ccd.gain, ccd.adcMax - RAW_BIAS - 1);
}

/** Science exposure of an LCO-like frame, s: U[100, 300] (assumption: typical LCO imaging exposures). */
const LCO_EXPOSURE: [number, number] = [100, 300];

export async function synthDataset(opts: SynthOptions = {}): Promise<SynthResult> {
  const mode = opts.mode ?? "decam", presetName = opts.preset ?? "quick";
  if (mode !== "decam" && mode !== "lco" && mode !== "random") {
    throw new DatasetError("synthDataset", `mode must be decam, lco or random (got ${mode})`);
  }
  const preset = Object.hasOwn(PRESETS[mode], presetName) ? PRESETS[mode][presetName] : undefined;
  if (!preset) throw new DatasetError("synthDataset", `preset must be quick, default or paper (got ${presetName})`);
  const seed = opts.seed ?? 1;
  const width = opts.width ?? preset.width, height = opts.height ?? preset.height;
  const frames = opts.frames ?? preset.frames, testFrames = opts.testFrames ?? preset.testFrames;
  const patch = opts.patch ?? DEFAULT_RECIPE.patch;
  const params: RecipeParams = { ...DEFAULT_RECIPE, ...opts.recipe, patch };
  const [dLo, dHi] = opts.darkExposure ?? [90, 1200];
  for (const [k, v] of [["seed", seed], ["frames", frames], ["testFrames", testFrames]] as const) {
    if (!Number.isInteger(v) || v < 0) throw new DatasetError("synthDataset", `${k} must be an integer ≥ 0 (got ${v})`);
  }
  if (frames + testFrames === 0) throw new DatasetError("synthDataset", "no frames to make (frames + testFrames = 0)");
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < patch || height < patch) {
    throw new DatasetError("synthDataset", `frames must be at least ${patch}×${patch} (got ${width}×${height})`);
  }
  if (opts.telescope && !TELESCOPES.includes(opts.telescope)) {
    throw new DatasetError("synthDataset", `telescope must be one of ${TELESCOPES.join(", ")}`);
  }
  if (!(dLo > 0 && dHi >= dLo)) {
    throw new DatasetError("synthDataset", "darkExposure must be [lo, hi] with 0 < lo ≤ hi");
  }

  const science: ScienceSource[] = [], darks: DarkSource[] = [], pairs: number[][] = [];
  const total = frames + testFrames;
  for (let i = 0; i < total; i++) {
    const test = i >= frames;
    const k = test ? i - frames : i; // bands (and classes) cycle within each split, so each gets all of them
    const band: Band = BANDS[k % BANDS.length];
    const telescope: Telescope | "decam" | "random" = mode === "decam" || mode === "random"
      ? mode
      : opts.telescope ?? TELESCOPES[k % TELESCOPES.length];
    const r = rngFor(seed, SALT.frames, i);
    const rnd: RandomInstrument | null = mode === "random"
      ? drawInstrument(rngFor(seed, SALT.frames, i, 3), band, width, height)
      : null;
    const darkExposure = rnd ? rnd.darkExposure : Math.round(r.uniform(dLo, dHi));
    const lco = telescope === "decam" || telescope === "random" ? null : LCO_CLASSES[telescope];
    const exposure = rnd ? Math.round(rnd.exposure) : lco ? Math.round(r.uniform(LCO_EXPOSURE[0], LCO_EXPOSURE[1])) : 90;
    const ccd = rnd ? rnd.camera.ccd : lco ? lco.camera.ccd : DECAM;
    const darkCcd = rnd ? rnd.darkCcd : lco ? "lco-thin" : "decam";
    const scienceSeed = mix(seed, SALT.frames, i, 1), darkSeed = mix(seed, SALT.frames, i, 2);
    const name = `${test ? "test" : "train"}-${String(k).padStart(3, "0")}-${telescope}-${band}`;
    const info: Record<string, string | number> = { band, telescope, exposure };
    if (rnd) {
      Object.assign(info, {
        fwhm: Number(rnd.fwhmPixels.toFixed(2)),
        gain: Number(ccd.gain.toFixed(3)),
        readnoise: Number(ccd.readNoise.toFixed(2)),
        saturate: Number(saturation(ccd).toFixed(0)),
        bias: Math.round(rnd.bias),
        darkCcd,
      });
    }
    science.push({
      name,
      width,
      height,
      test,
      info,
      load: () => {
        const f = simulateScience({
          width,
          height,
          band,
          seed: scienceSeed,
          exposure,
          badColumns: true,
          // U must be CR-free (the recipe's premise). A real frame's own CRs are cleaned by LACosmic, which leaves
          // some bright ones unlabelled; the simulator can make the frame without them, so it does: labels stay exact.
          cosmics: false,
          ...(lco ? { camera: lco.camera, seeing: lco.seeing } : {}),
          ...(rnd
            ? {
              camera: rnd.camera,
              seeing: rnd.seeing,
              beta: rnd.beta,
              bias: rnd.bias,
              starDensity: rnd.starDensity,
              galaxyDensity: rnd.galaxyDensity,
              extraGalaxies: rnd.largeGalaxies,
              extraStars: rnd.knots,
            }
            : {}),
        });
        const badPixels = new Uint8Array(width * height);
        for (const c of f.meta.badColumns) for (let y = c.y0; y < c.y1; y++) badPixels[y * width + c.x] = 1;
        const afterClean = rnd
          ? (u: Float32Array, w: number, h: number) => {
            const noise = robustSigma(u, badPixels).sigma;
            return { hotPixels: addHotPixels(u, w, h, rnd.hotPixelFraction, noise, rngFor(seed, SALT.frames, i, 4)) };
          }
          : undefined;
        return Promise.resolve({
          frame: { data: f.image, width, height },
          detector: {
            gain: ccd.gain,
            readnoise: ccd.readNoise,
            saturation: saturation(ccd) + (rnd ? rnd.bias : 0),
            badPixels,
          },
          trueCosmics: f.crMask,
          ...(afterClean ? { afterClean } : {}),
        });
      },
    });
    darks.push({
      name: `dark-${String(i).padStart(3, "0")}-${darkCcd}-${darkExposure}s`,
      width,
      height,
      load: () => {
        const d = simulateDark({ width, height, exposure: darkExposure, seed: darkSeed, ccd: darkCcd });
        return Promise.resolve({ data: d.image, width, height });
      },
    });
    pairs.push([i]);
  }
  const shards = opts.out === undefined ? new Map<string, Uint8Array>() : undefined;
  const sink = opts.out === undefined ? memorySink(shards!) : await prepareOut(opts.out, opts.force ?? false);
  const manifest = await runPipeline({
    science,
    pairs,
    darks,
    params,
    seed,
    sink,
    source: {
      generator: "synthDataset",
      mode,
      preset: presetName,
      seed,
      frameSize: [width, height],
      frames,
      testFrames,
      darkExposure: [dLo, dHi],
      scienceExposure: mode === "lco" ? LCO_EXPOSURE : mode === "random" ? "randomised per frame" : 90,
      ...(mode === "random" ? { randomized: "src/data/synth/randomized.ts RANDOM_RANGES" } : {}),
      pairing: "each science frame with its own simulated dark (same size)",
      ...(mode === "lco" ? { telescopes: opts.telescope ? [opts.telescope] : TELESCOPES } : {}),
    },
    onProgress: opts.onProgress,
  });
  if (opts.out !== undefined) await finishOut(opts.out, sink, manifest);
  return { manifest, shards };
}
