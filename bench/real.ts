// deno task bench:real — CR detectors on real frames with injected cosmic rays (src/eval/real.ts): the shipped
// default model, every published checkpoint we can run, any --models, and LACosmic three ways.
//   deno task bench:real [--frames a.fits b.fits …] [--hdu N|EXTNAME] [--gain G] [--readnoise R] [--saturate ADU]
//     [--models f.safetensors …] [--published DIR|none] [--no-default] [--no-lacosmic] [--sweep 20] [--out DIR]
import { numberFlag, UsageError } from "../src/cli/args.ts";
import { exists, writeAtomic } from "../src/cli/files.ts";
import { openModel } from "../src/app/models.ts";
import { SettingsError } from "../src/app/settings.ts";
import { FitsError } from "../src/data/fits.ts";
import { LacosmicError } from "../src/data/lacosmic.ts";
import { CheckpointError } from "../src/nn/checkpoint/types.ts";
import { PUBLISHED, sha256Hex } from "../src/app/zoo.ts";
import { detect, DetectError } from "../src/nn/detect.ts";
import { init } from "../src/nn/tensor.ts";
import {
  benchReal,
  type FrameCases,
  type FrameModel,
  realCases,
  REAL_DARKS,
  REAL_MAX_CASES,
  REAL_MIN_POSITIVES,
} from "../src/eval/real.ts";
import { FrameError, readRealFrame } from "../src/eval/real_frames.ts";
import { realMarkdown, realRocSvgs } from "../src/eval/real_report.ts";

const SHARED = new URL("../../shared/", import.meta.url);
const DEFAULT_MODEL = new URL("../models/default.safetensors", import.meta.url);

const USAGE = `usage: bench:real [--frames <FITS> …] [--hdu N|EXTNAME] [--gain G] [--readnoise R] [--saturate ADU]
  [--models <ckpt> …] [--published DIR|none] [--no-default] [--no-lacosmic] [--sweep 20] [--out DIR] [--quiet]
Real frames (default: ../shared/data/gmos.fits SCI and saao1m.fits) with cosmic rays injected by the paper's recipe
from fixed simulated darks (${REAL_DARKS.length} per round, rounds until ${REAL_MIN_POSITIVES} CR pixels or ${REAL_MAX_CASES} cases); every method
runs on each whole frame. Reports TPR at 0.01%, 0.1% and
1% FPR, precision at 95% TPR, each model's TPR at LACosmic's operating FPRs and its F1 at its own threshold, per
frame and pooled. Models: models/default.safetensors, the published checkpoints under --published (default
../shared/models) that we can run, and --models. LACosmic: Astro-SCRAPPY's defaults, the paper's setting (sigfrac
0.1, objlim 1), and the best of a sigclip sweep over [1, 20] under both. Writes table.md, metrics.json and
roc-<frame>.svg to --out (default bench/results/real). Test data only: nothing is trained or tuned on these frames.`;

interface Args {
  frames: string[];
  hdu?: number | string;
  gain?: number;
  readnoise?: number;
  saturation?: number;
  models: string[];
  published: string | null;
  shipped: boolean;
  lacosmic: boolean;
  sweep: number;
  out: string;
  quiet: boolean;
}

const VALUED = ["hdu", "gain", "readnoise", "saturate", "published", "sweep", "out"] as const;
const LISTS = ["frames", "models"] as const;

export function parseRealArgs(argv: string[]): Args {
  const v: Partial<Record<(typeof VALUED)[number], string>> = {};
  const lists: Record<(typeof LISTS)[number], string[]> = { frames: [], models: [] };
  const args: Args = {
    frames: [],
    models: [],
    published: new URL("models/", SHARED).pathname,
    shipped: true,
    lacosmic: true,
    sweep: 20,
    out: new URL("./results/real", import.meta.url).pathname,
    quiet: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("--")) throw new UsageError(`unexpected argument '${a}'`);
    const name = a.slice(2);
    if (name === "no-default") args.shipped = false;
    else if (name === "no-lacosmic") args.lacosmic = false;
    else if (name === "quiet") args.quiet = true;
    else if ((LISTS as readonly string[]).includes(name)) {
      const list = lists[name as (typeof LISTS)[number]], before = list.length;
      while (i + 1 < argv.length && !argv[i + 1].startsWith("--")) list.push(argv[++i]);
      if (list.length === before) throw new UsageError(`--${name} needs at least one file`);
    } else if ((VALUED as readonly string[]).includes(name)) {
      const value = argv[++i];
      if (value === undefined || value.startsWith("--")) throw new UsageError(`--${name} needs a value`);
      v[name as (typeof VALUED)[number]] = value;
    } else throw new UsageError(`unknown option --${name}`);
  }
  args.frames = lists.frames;
  args.models = lists.models;
  if (v.hdu !== undefined) args.hdu = /^\d+$/.test(v.hdu) ? Number(v.hdu) : v.hdu;
  if (v.gain !== undefined) args.gain = numberFlag("gain", v.gain, { positive: true });
  if (v.readnoise !== undefined) args.readnoise = numberFlag("readnoise", v.readnoise, { positive: true });
  if (v.saturate !== undefined) args.saturation = numberFlag("saturate", v.saturate, { positive: true });
  if (v.sweep !== undefined) args.sweep = numberFlag("sweep", v.sweep, { integer: true, min: 2 });
  if (v.published !== undefined) args.published = v.published === "none" ? null : v.published;
  if (v.out !== undefined) args.out = v.out;
  return args;
}

class InputError extends Error {}

async function readBytes(path: string, what: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (e) {
    const why = e instanceof Deno.errors.NotFound ? "no such file" : e instanceof Error ? e.message : String(e);
    throw new InputError(`cannot read ${what} '${path}': ${why}`);
  }
}

/** The models to run, with their names: shipped default, published, then --models. */
async function modelList(args: Args, notes: string[]): Promise<{ name: string; path: string }[]> {
  const list: { name: string; path: string }[] = [];
  if (args.shipped) {
    if (await exists(DEFAULT_MODEL)) list.push({ name: "shipped default", path: DEFAULT_MODEL.pathname });
    else notes.push(`no ${DEFAULT_MODEL.pathname}: the shipped default is not measured`);
  }
  if (args.published !== null) {
    const dir = args.published.endsWith("/") ? args.published : `${args.published}/`;
    if (!(await exists(dir))) notes.push(`no published checkpoints: ${dir} does not exist`);
    else {
      for (const p of PUBLISHED) {
        const path = dir + p.file;
        if (!(await exists(path))) notes.push(`${p.name}: ${path} not found`);
        else if (p.unsupported) notes.push(`${p.name} (${p.file}) not measured: ${p.unsupported}`);
        else list.push({ name: p.name, path });
      }
    }
  }
  for (const path of args.models) list.push({ name: path.split(/[\\/]/).pop()!.replace(/\.(pth|safetensors)$/, ""), path });
  return list;
}

export async function main(argv: string[]): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(USAGE);
    return 0;
  }
  const releases: (() => void)[] = [];
  try {
    const args = parseRealArgs(argv);
    const say = (m: string) => args.quiet || console.error(m);
    let paths = args.frames;
    if (paths.length === 0) {
      paths = ["data/gmos.fits", "data/saao1m.fits"].map((p) => new URL(p, SHARED).pathname);
      for (const p of paths) {
        if (!(await exists(p))) {
          throw new InputError(`${p} not found: give --frames <FITS> … (the default frames live in ../shared/data)`);
        }
      }
    }
    const notes: string[] = [];
    const models = await modelList(args, notes);
    if (models.length === 0 && !args.lacosmic) throw new UsageError("nothing to measure: no models and --no-lacosmic");
    await Deno.mkdir(args.out, { recursive: true }).catch((e) => {
      throw new InputError(`cannot create --out '${args.out}': ${e instanceof Error ? e.message : e}`);
    });

    const frames: FrameCases[] = [];
    for (const path of paths) {
      const bytes = await readBytes(path, "frame");
      const frame = await readRealFrame(bytes, path, {
        hdu: args.hdu,
        gain: args.gain,
        readnoise: args.readnoise,
        saturation: args.saturation,
        sha256: await sha256Hex(bytes),
      });
      if (frames.some((f) => f.frame.name === frame.name)) frame.name = `${frame.name}#${frames.length}`;
      const t0 = performance.now();
      const fc = realCases(frame);
      frames.push(fc);
      say(`${frame.name}: ${frame.width}×${frame.height}, ${fc.cases.length} cases in ` +
        `${((performance.now() - t0) / 1000).toFixed(1)} s (${frame.notes.join("; ") || "header values"})`);
    }

    const runners: FrameModel[] = [];
    if (models.length) await init();
    for (const m of models) {
      const opened = await openModel(await readBytes(m.path, "model"), m.path);
      releases.push(() => opened.model.release());
      const s = opened.settings;
      runners.push({
        name: m.name,
        dilate: !s.dilatedMasks,
        threshold: s.threshold,
        details: { file: m.path, variant: opened.variant, normalize: s.normalize, normalizeFrom: s.from.normalize },
        scores: async (image, width, height) =>
          (await detect(opened.model, image, width, height, { normalize: s.normalize })).probabilities,
      });
    }
    const result = await benchReal(frames, runners, {
      sweep: args.sweep,
      lacosmic: args.lacosmic,
      onProgress: (m) => args.quiet || Deno.stderr.writeSync(new TextEncoder().encode(`  ${m}\n`)),
    });
    result.notes.push(...notes);
    const md = realMarkdown(result);
    const written = [`${args.out}/table.md`, `${args.out}/metrics.json`];
    await writeAtomic(written[0], md);
    await writeAtomic(written[1], JSON.stringify(result, null, 1) + "\n");
    for (const [name, svg] of realRocSvgs(result)) {
      const file = `${args.out}/roc-${name.replace(/[^A-Za-z0-9_.-]/g, "_")}.svg`;
      await writeAtomic(file, svg);
      written.push(file);
    }
    console.log(md);
    for (const r of result.rows) console.log(`${r.name}: ${r.seconds.toFixed(1)} s`);
    console.log(`wrote ${written.join(", ")}`);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`bench:real: ${e.message}\n${USAGE}`);
      return 2;
    }
    const known = [InputError, FrameError, FitsError, CheckpointError, SettingsError, LacosmicError, DetectError];
    if (known.some((k) => e instanceof k)) {
      console.error(`bench:real: ${(e as Error).message}`);
      return 2;
    }
    console.error(`bench:real: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  } finally {
    for (const r of releases) r();
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
