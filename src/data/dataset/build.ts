// buildDataset: the paper's §2.1.1 recipe on real FITS frames. Science frames (CR-contaminated, as observed) are
// LACosmic-cleaned; darks give the cosmic rays. Pairing: science frame i gets `darksPerFrame` darks, taken in
// turn from the list (frame i, pair j → dark (i·darksPerFrame + j) mod #darks); frames of different sizes are
// paired on their overlap from (0, 0). Test = held-out science frames: `test` paths, or `testFraction` of the
// frames chosen at random (seeded; at least one when there are ≥ 2 frames).
import { FitsError, type FitsHeader, readFits, readImage } from "../fits.ts";
import { DatasetError } from "./errors.ts";
import type { Manifest } from "./manifest.ts";
import { finishOut, prepareOut } from "./output.ts";
import { type DarkSource, type Detector, runPipeline, type ScienceSource } from "./pipeline.ts";
import { permutation, rngFor, SALT } from "./random.ts";
import { DEFAULT_RECIPE, type RecipeParams } from "./recipe.ts";

export interface BuildOptions {
  science: string[];
  darks: string[];
  out: string;
  /** Science frames held out for test (not also in `science`). */
  test?: string[];
  /** Without `test`: this fraction of the science frames goes to test (default 0.1). */
  testFraction?: number;
  /** HDU index or EXTNAME of the science (and test) frames (default: the first 2-D image). */
  hdu?: number | string;
  /** The same for the darks. */
  darkHdu?: number | string;
  seed?: number;
  darksPerFrame?: number;
  patch?: number;
  /** Override the header's GAIN (e⁻/ADU), RDNOISE (e⁻), SATURATE (ADU). */
  gain?: number;
  readnoise?: number;
  saturation?: number;
  /** Bad-pixel mask (non-zero = bad) for every science frame. */
  badPixels?: string;
  lacosmic?: RecipeParams["lacosmic"];
  /** Dark threshold and seed, in σ_D (3 and 5; seed 0 = the paper's text, every component kept). */
  darkSigma?: number;
  darkSeedSigma?: number;
  force?: boolean;
  /** Shown in dataset.json's source. */
  command?: string;
  onProgress?: (message: string) => void;
}

interface Probe {
  path: string;
  name: string;
  width: number;
  height: number;
}

async function readFile(path: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new DatasetError(path, "no such file");
    if (e instanceof Deno.errors.IsADirectory) throw new DatasetError(path, "is a directory, not a FITS file");
    throw new DatasetError(path, `cannot read: ${e instanceof Error ? e.message : e}`);
  }
}

async function loadImage(path: string, hdu: number | string | undefined) {
  return await readImage(await readFits(await readFile(path), path), hdu);
}

/** Size of the image without decoding its pixels. */
async function probe(path: string, hdu: number | string | undefined, patch: number): Promise<Probe> {
  const file = await readFits(await readFile(path), path);
  const img = await readImage(file, hdu).catch((e) => {
    throw e instanceof FitsError ? e : new DatasetError(path, String(e));
  });
  const { width, height } = img;
  if (width < patch || height < patch) {
    throw new DatasetError(path, `image is ${width}×${height}, smaller than one ${patch}×${patch} chunk`);
  }
  return { path, name: path.split(/[\\/]/).pop() ?? path, width, height };
}

/** First of `keys` that is a number, in the image's header, then the primary header (build and bench:real). */
export function headerNumber(headers: FitsHeader[], keys: string[]): number | undefined {
  for (const h of headers) for (const k of keys) if (h.number(k) !== undefined) return h.number(k);
  return undefined;
}

function headerString(headers: FitsHeader[], keys: string[]): string | undefined {
  for (const h of headers) for (const k of keys) if (h.string(k)) return h.string(k)!.trim();
  return undefined;
}

function uniqueNames(probes: Probe[]): void {
  const seen = new Map<string, number>();
  for (const p of probes) {
    const n = seen.get(p.name) ?? 0;
    seen.set(p.name, n + 1);
    if (n > 0) p.name = `${p.name}#${n}`;
  }
}

function positive(name: string, v: number | undefined): void {
  if (v !== undefined && !(Number.isFinite(v) && v > 0)) {
    throw new DatasetError("buildDataset", `${name} must be > 0 (got ${v})`);
  }
}

export async function buildDataset(opts: BuildOptions): Promise<Manifest> {
  const patch = opts.patch ?? DEFAULT_RECIPE.patch;
  const seed = opts.seed ?? 1;
  const darksPerFrame = opts.darksPerFrame ?? 1;
  const lacosmic = Object.fromEntries(Object.entries(opts.lacosmic ?? {}).filter(([, v]) => v !== undefined));
  const params: RecipeParams = {
    ...DEFAULT_RECIPE,
    patch,
    lacosmic: { ...DEFAULT_RECIPE.lacosmic, ...lacosmic },
    darkSigma: opts.darkSigma ?? DEFAULT_RECIPE.darkSigma,
    darkSeedSigma: opts.darkSeedSigma ?? DEFAULT_RECIPE.darkSeedSigma,
  };
  if (!(params.darkSigma > 0) || !(params.darkSeedSigma >= 0)) {
    throw new DatasetError("buildDataset", "darkSigma must be > 0 and darkSeedSigma ≥ 0");
  }
  if (!Number.isInteger(patch) || patch < 4 || patch % 4 !== 0) {
    throw new DatasetError("buildDataset", `patch must be a positive multiple of 4 (got ${patch})`);
  }
  if (!Number.isInteger(darksPerFrame) || darksPerFrame < 1) {
    throw new DatasetError("buildDataset", `darksPerFrame must be a positive integer (got ${darksPerFrame})`);
  }
  positive("gain", opts.gain), positive("readnoise", opts.readnoise), positive("saturation", opts.saturation);
  if (opts.science.length === 0) throw new DatasetError("buildDataset", "no science frames given");
  if (opts.darks.length === 0) throw new DatasetError("buildDataset", "no dark frames given");
  const testPaths = opts.test ?? [];
  const both = testPaths.filter((p) => opts.science.includes(p));
  if (both.length) throw new DatasetError(both[0], "is given both as a science (train) frame and as a test frame");
  const fraction = opts.testFraction ?? 0.1;
  if (!(fraction >= 0 && fraction < 1)) {
    throw new DatasetError("buildDataset", `testFraction must be in [0, 1) (got ${fraction})`);
  }

  const sciProbes: Probe[] = [];
  for (const p of [...opts.science, ...testPaths]) sciProbes.push(await probe(p, opts.hdu, patch));
  const darkProbes: Probe[] = [];
  for (const p of opts.darks) darkProbes.push(await probe(p, opts.darkHdu, patch));
  uniqueNames(sciProbes), uniqueNames(darkProbes);

  // Which frames are test.
  const isTest = sciProbes.map((_, i) => i >= opts.science.length);
  if (testPaths.length === 0 && opts.science.length >= 2) {
    const nTest = Math.max(1, Math.round(fraction * opts.science.length));
    const order = permutation(opts.science.length, rngFor(seed, SALT.split));
    if (fraction > 0) { for (const i of order.subarray(0, nTest)) isTest[i] = true; }
  }

  let badPixels: Uint8Array | undefined, bpmSize: [number, number] | undefined;
  if (opts.badPixels) {
    const m = await loadImage(opts.badPixels, undefined);
    badPixels = Uint8Array.from(m.data, (v) => (v !== 0 ? 1 : 0));
    bpmSize = [m.width, m.height];
  }

  const notes: string[] = [];
  const science: ScienceSource[] = sciProbes.map((p, i) => ({
    name: p.name,
    width: p.width,
    height: p.height,
    test: isTest[i],
    info: {},
    load: async () => {
      const file = await readFits(await readFile(p.path), p.path);
      const img = await readImage(file, opts.hdu);
      const headers = [img.header, file.hdus[0].header];
      const gain = opts.gain ?? headerNumber(headers, ["GAIN"]);
      const readnoise = opts.readnoise ?? headerNumber(headers, ["RDNOISE", "READNOIS", "RON"]);
      const saturation = opts.saturation ?? headerNumber(headers, ["SATURATE", "SATLEVEL"]);
      if (gain === undefined || readnoise === undefined) {
        notes.push(`${p.name}: no ${gain === undefined ? "GAIN" : "RDNOISE"} card: LACosmic's default used`);
      }
      if (bpmSize && (bpmSize[0] !== p.width || bpmSize[1] !== p.height)) {
        throw new DatasetError(
          opts.badPixels!,
          `bad-pixel mask is ${bpmSize.join("×")}, ${p.path} is ${p.width}×${p.height}`,
        );
      }
      const band = headerString(headers, ["BAND", "FILTER", "FILTER1"]);
      const telescope = headerString(headers, ["TELESCOP"]);
      if (band) science[i].info.band = band;
      if (telescope) science[i].info.telescope = telescope;
      const detector: Detector = {
        gain: gain ?? 1,
        readnoise: readnoise ?? 6.5,
        saturation: saturation ?? Infinity,
        badPixels,
      };
      return { frame: { data: img.data, width: img.width, height: img.height }, detector };
    },
  }));
  const darks: DarkSource[] = darkProbes.map((p) => ({
    name: p.name,
    width: p.width,
    height: p.height,
    load: async () => {
      const img = await loadImage(p.path, opts.darkHdu);
      return { data: img.data, width: img.width, height: img.height };
    },
  }));
  const pairs = science.map((_, i) =>
    Array.from({ length: darksPerFrame }, (_, j) => (i * darksPerFrame + j) % darks.length)
  );
  const sink = await prepareOut(opts.out, opts.force ?? false);
  const manifest = await runPipeline({
    science,
    pairs,
    darks,
    params,
    seed,
    sink,
    source: {
      generator: "buildDataset",
      command: opts.command ?? "",
      seed,
      hdu: opts.hdu ?? "first 2-D image",
      darkHdu: opts.darkHdu ?? "first 2-D image",
      science: sciProbes.filter((_, i) => !isTest[i]).map((p) => p.path),
      test: sciProbes.filter((_, i) => isTest[i]).map((p) => p.path),
      darks: darkProbes.map((p) => p.path),
      pairing: `science frame i with darks (i·${darksPerFrame} + j) mod ${darks.length}, j < ${darksPerFrame}; ` +
        "cropped to their overlap from (0, 0)",
      detector: {
        gain: opts.gain ?? "header GAIN",
        readnoise: opts.readnoise ?? "header RDNOISE",
        saturation: opts.saturation ?? "header SATURATE (none if absent)",
      },
      badPixels: opts.badPixels ?? null,
      notes,
    },
    onProgress: opts.onProgress,
  });
  await finishOut(opts.out, sink, manifest);
  return manifest;
}
