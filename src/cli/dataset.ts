// Datasets from the command line: build one from FITS frames (the paper's recipe), make one with the simulator,
// look at one (a PNG sheet of chunks with their CR masks), or summarise one.
//   deno task dataset build --science a.fits b.fits … --darks d1.fits … --out DIR [--test t.fits …] [--hdu N|NAME]
//   deno task dataset synth --out DIR [--mode decam|lco|random] [--preset quick|default|paper] [--seed N] …
//   deno task dataset preview DIR [--split test] [--out sheet.png] [--count 16] [--stretch asinh|zscale]
//   deno task dataset info DIR
import { FitsError } from "../data/fits.ts";
import { LacosmicError } from "../data/lacosmic.ts";
import {
  buildDataset,
  Dataset,
  DatasetError,
  type Manifest,
  type SplitName,
  SPLITS,
  synthDataset,
} from "../data/dataset.ts";
import { renderSheet, type Stretch } from "../data/dataset/preview.ts";
import { type Telescope, TELESCOPES } from "../data/synth/lco.ts";
import { numberFlag, parseArgs, sizeFlag, UsageError } from "./args.ts";

const USAGE = `usage:
  dataset build --science <FITS…> --darks <FITS…> --out DIR [--test <FITS…> | --test-fraction 0.1]
                [--hdu N|NAME] [--dark-hdu N|NAME]
                [--seed 1] [--darks-per-frame 1] [--patch 256] [--gain E/ADU] [--readnoise E] [--saturation ADU]
                [--bpm bad-pixels.fits] [--dark-sigma 3] [--dark-seed-sigma 5] [--sigclip 4.5] [--sigfrac 0.3]
                [--objlim 5] [--force]
  dataset synth --out DIR [--mode decam|lco|random] [--preset quick|default|paper] [--seed 1] [--frames N]
                [--test-frames N] [--size WxH] [--telescope 0.4m|1m|2m] [--patch 256] [--force]
  dataset preview DIR [--split test] [--out sheet.png] [--count 16] [--stretch asinh|zscale] [--seed 1]
  dataset info DIR
build: science frames are LACosmic-cleaned (5x5 median), darks give the cosmic rays (median + 3 sigma, seeded at
5 sigma, 3x3-dilated, edge-touching ones dropped), C = U + (1/8)(sigma_U/sigma_D)(D - d0) on the mask; 256x256 chunks.
GAIN / RDNOISE / SATURATE come from the headers unless given. Exit code 2 on bad input.`;


/** Splits argv into list options (each takes every value up to the next --flag) and the rest. */
function takeLists(
  argv: string[],
  names: string[],
): { lists: Record<string, string[]>; rest: string[]; positional: string[] } {
  const lists: Record<string, string[]> = {};
  const rest: string[] = [], positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith("--") && names.includes(a.slice(2))) {
      const key = a.slice(2), values: string[] = [];
      while (i + 1 < argv.length && !argv[i + 1].startsWith("--")) values.push(argv[++i]);
      if (values.length === 0) throw new UsageError(`--${key} needs at least one file`);
      lists[key] = (lists[key] ?? []).concat(values);
    } else if (a.startsWith("--")) {
      rest.push(a);
      if (i + 1 < argv.length && !argv[i + 1].startsWith("--")) rest.push(argv[++i]);
    } else {
      positional.push(a);
    }
  }
  return { lists, rest, positional };
}

/** An optional numeric flag ("" = not given). */
const num = (name: string, text: string, integer = false): number | undefined =>
  text === "" ? undefined : numberFlag(name, text, { integer });

const size = (text: string): [number, number] | undefined => (text === "" ? undefined : sizeFlag(text));

async function diskBytes(dir: string): Promise<number> {
  let total = 0;
  for await (const e of Deno.readDir(dir)) if (e.isFile) total += (await Deno.stat(`${dir}/${e.name}`)).size;
  return total;
}

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

function counts(m: Manifest): string {
  return SPLITS.map((s) => `${s} ${m.splits[s].chunks}`).join(", ");
}

const hduArg = (text: string) => (text === "" ? undefined : /^\d+$/.test(text) ? Number(text) : text);

async function build(argv: string[]): Promise<void> {
  const { lists, rest, positional } = takeLists(argv, ["science", "darks", "test"]);
  if (positional.length) throw new UsageError(`unexpected argument '${positional[0]}'`);
  const a = parseArgs(rest, {
    out: "",
    hdu: "",
    "dark-hdu": "",
    seed: "1",
    "test-fraction": "0.1",
    "darks-per-frame": "1",
    patch: "256",
    gain: "",
    readnoise: "",
    saturation: "",
    bpm: "",
    "dark-sigma": "3",
    "dark-seed-sigma": "5",
    sigclip: "4.5",
    sigfrac: "0.3",
    objlim: "5",
    force: false,
  });
  if (!lists.science) throw new UsageError("--science <FITS…> is required");
  if (!lists.darks) throw new UsageError("--darks <FITS…> is required");
  if (a.out === "") throw new UsageError("--out DIR is required");
  const t0 = performance.now();
  const manifest = await buildDataset({
    science: lists.science,
    darks: lists.darks,
    test: lists.test,
    out: a.out,
    hdu: hduArg(a.hdu),
    darkHdu: hduArg(a["dark-hdu"]),
    seed: num("seed", a.seed, true),
    testFraction: num("test-fraction", a["test-fraction"]),
    darksPerFrame: num("darks-per-frame", a["darks-per-frame"], true),
    patch: num("patch", a.patch, true),
    gain: num("gain", a.gain),
    readnoise: num("readnoise", a.readnoise),
    saturation: num("saturation", a.saturation),
    badPixels: a.bpm === "" ? undefined : a.bpm,
    darkSigma: num("dark-sigma", a["dark-sigma"]),
    darkSeedSigma: num("dark-seed-sigma", a["dark-seed-sigma"]),
    lacosmic: {
      sigclip: num("sigclip", a.sigclip),
      sigfrac: num("sigfrac", a.sigfrac),
      objlim: num("objlim", a.objlim),
    },
    force: a.force,
    command: ["dataset", "build", ...argv].join(" "),
    onProgress: (m) => console.error(m),
  });
  const seconds = (performance.now() - t0) / 1000;
  console.log(`${a.out}: ${counts(manifest)} chunks, ${mb(await diskBytes(a.out))} on disk, ${seconds.toFixed(1)} s`);
}

async function synth(argv: string[]): Promise<void> {
  const a = parseArgs(argv, {
    out: "",
    mode: "decam",
    preset: "quick",
    seed: "1",
    frames: "",
    "test-frames": "",
    size: "",
    telescope: "",
    patch: "256",
    force: false,
  });
  if (a.out === "") throw new UsageError("--out DIR is required");
  if (!["decam", "lco", "random"].includes(a.mode)) {
    throw new UsageError(`--mode must be decam, lco or random (got '${a.mode}')`);
  }
  if (!["quick", "default", "paper"].includes(a.preset)) {
    throw new UsageError(`--preset must be quick, default or paper (got '${a.preset}')`);
  }
  if (a.telescope !== "" && !TELESCOPES.includes(a.telescope as Telescope)) {
    throw new UsageError(`--telescope must be one of ${TELESCOPES.join(", ")}`);
  }
  const [width, height] = size(a.size) ?? [undefined, undefined];
  const t0 = performance.now();
  const { manifest } = await synthDataset({
    out: a.out,
    force: a.force,
    mode: a.mode as "decam" | "lco" | "random",
    preset: a.preset as "quick" | "default" | "paper",
    seed: num("seed", a.seed, true),
    frames: num("frames", a.frames, true),
    testFrames: num("test-frames", a["test-frames"], true),
    width,
    height,
    telescope: a.telescope === "" ? undefined : a.telescope as Telescope,
    patch: num("patch", a.patch, true),
    onProgress: (m) => console.error(m),
  });
  const seconds = (performance.now() - t0) / 1000;
  console.log(`${a.out}: ${counts(manifest)} chunks, ${mb(await diskBytes(a.out))} on disk, ${seconds.toFixed(1)} s`);
}

async function preview(argv: string[]): Promise<void> {
  const { rest, positional } = takeLists(argv, []);
  if (positional.length !== 1) throw new UsageError("preview needs one dataset directory");
  const a = parseArgs(rest, { split: "test", out: "", count: "16", stretch: "asinh", seed: "1" });
  if (!SPLITS.includes(a.split as SplitName)) throw new UsageError(`--split must be one of ${SPLITS.join(", ")}`);
  if (a.stretch !== "asinh" && a.stretch !== "zscale") throw new UsageError("--stretch must be asinh or zscale");
  const count = num("count", a.count, true)!;
  if (count < 1) throw new UsageError("--count must be at least 1");
  const dir = positional[0];
  const ds = await Dataset.open(dir);
  const out = a.out === "" ? `${dir.replace(/\/+$/, "")}/preview-${a.split}.png` : a.out;
  const { png, shown } = await renderSheet(ds, {
    split: a.split as SplitName,
    count,
    stretch: a.stretch as Stretch,
    title: `crgpu dataset ${dir}`,
    seed: num("seed", a.seed, true),
  });
  await Deno.writeFile(out, png);
  console.log(`${out}: ${shown} chunks of ${dir} (${a.split})`);
}

async function info(argv: string[]): Promise<void> {
  const { rest, positional } = takeLists(argv, []);
  if (positional.length !== 1 || rest.length) throw new UsageError("info needs one dataset directory and no options");
  const dir = positional[0];
  const ds = await Dataset.open(dir);
  const m = ds.manifest, src = m.source;
  console.log(`${dir}: crgpu dataset v${m.version}, ${m.patch}×${m.patch} chunks, ${mb(await diskBytes(dir))} on disk`);
  const made = ["generator", "mode", "preset", "seed", "frameSize", "pairing"].filter((k) => src[k] !== undefined);
  console.log(`  made by ${made.map((k) => `${k} ${JSON.stringify(src[k])}`).join(", ")}`);
  const crf = src.crPixelFraction as Record<string, number> | undefined;
  for (const s of SPLITS) {
    const split = m.splits[s];
    const infos = split.shards.flatMap((sh) => sh.info);
    const tally = (key: string) => {
      const t = new Map<string, number>();
      for (const i of infos) if (i[key] !== undefined) t.set(String(i[key]), (t.get(String(i[key])) ?? 0) + 1);
      return [...t].map(([k, v]) => `${k} ${v}`).join(", ");
    };
    const frames = new Set(infos.map((i) => i.frame)).size;
    const cr = crf?.[s] === undefined ? "" : `, CR pixels ${(crf[s] * 100).toFixed(3)}%`;
    console.log(`  ${s}: ${split.chunks} chunks in ${split.shards.length} shard(s) from ${frames} frame(s)${cr}`);
    for (const key of ["band", "telescope"]) if (tally(key)) console.log(`    ${key}: ${tally(key)}`);
  }
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "--help" || command === "-h") {
    console.log(USAGE);
    return command === undefined ? 2 : 0;
  }
  try {
    if (command === "build") await build(rest);
    else if (command === "synth") await synth(rest);
    else if (command === "preview") await preview(rest);
    else if (command === "info") await info(rest);
    else throw new UsageError(`unknown command '${command}' (build, synth, preview, info)`);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`dataset: ${e.message}\n${USAGE}`);
      return 2;
    }
    if (e instanceof DatasetError || e instanceof FitsError || e instanceof LacosmicError) {
      console.error(`dataset: ${e.message}`);
      return 2;
    }
    throw e;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
