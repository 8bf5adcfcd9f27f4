// Evaluates CR detectors on a dataset split like the paper's Tables 1–2: UNet checkpoints and/or LACosmic.
//   deno task eval --data <dataset dir> [--split test] --models <a.pth b.safetensors …> [--lacosmic]
//     [--out <dir>] [--normalize MODE] [--threshold 0.5] [--dilate-models auto|yes|no] [--batch 4]
//     [--subsets band,telescope] [--cutouts 4] [--sigclip 4.5] [--sigfrac 0.1] [--objlim 1] [--sweep 20]
//     [--gain G] [--readnoise R] [--saturate ADU] [--quiet]
// Prints the tables; writes metrics.json, table.md, roc.svg, pr.svg, cutouts.png, report.html to --out.
import { Dataset, DatasetError } from "../data/dataset.ts";
import { LacosmicError } from "../data/lacosmic.ts";
import {
  EvalError,
  type EvalProgress,
  evaluate,
  lacosmicMethod,
  type Method,
  sigclipSweep,
  type Split,
  unetMethod,
} from "../eval/evaluate.ts";
import { formatTable, writeReport } from "../eval/report.ts";
import { numberFlag, UsageError } from "./args.ts";
import { GpuError } from "../kernels/runtime.ts";
import { openModel } from "../app/models.ts";
import { SettingsError } from "../app/settings.ts";
import { CheckpointError } from "../nn/checkpoint/types.ts";
import { type Normalize, NORMALIZE_HELP, parseNormalize } from "../nn/detect.ts";
import { init } from "../nn/tensor.ts";

const USAGE = `usage: eval --data <dataset dir> [--split test] [--models <ckpt> …] [--lacosmic] [--out <dir>]
  [--normalize MODE] [--threshold 0.5] [--dilate-models auto|yes|no] [--batch 4] [--subsets band,telescope|none]
  [--cutouts 4] [--sigclip 4.5] [--sigfrac 0.1] [--objlim 1] [--sweep 20] [--gain G] [--readnoise R]
  [--saturate ADU] [--quiet]
Evaluates each model (PyTorch .pth or our .safetensors) and/or LACosmic on every pixel of the split: TPR at 0.01%
and 0.1% FPR, precision at 95% TPR (exact ROC curve), F1 / IoU / FDR at p > threshold; overall and per subset.
Writes metrics.json, table.md, roc.svg, pr.svg, cutouts.png and report.html to --out (default runs/eval-<time>).
--dilate-models: auto dilates the predictions of models not trained on 3x3-dilated masks: Cosmic-CoNN's LCO .pth
  (cosmic-conn-lco), and safetensors whose metadata does not say dilated_masks=true (the paper's four .pth were
  trained on its dilated masks: not dilated); yes / no for all models. LACosmic masks are always dilated.
--normalize (default: each model's metadata, else median for cosmic-conn-lco, none for the others):
${NORMALIZE_HELP.map(([k, v]) => `  ${k.padEnd(8)} ${v}`).join("\n")}
LACosmic: --sweep N sigclip values log-spaced over [1, 20] for the curve, plus --sigclip (default 4.5) for F1/IoU/FDR;
  --sigfrac 0.1 --objlim 1 (the paper's DECam setting). gain / readnoise / saturate come from each chunk's info,
  else the dataset's manifest, else --gain / --readnoise / --saturate, else Astro-SCRAPPY's defaults.`;

/** Bad input named by file: exit 2. */
class InputError extends Error {}

export interface EvalArgs {
  data: string;
  split: Split;
  models: string[];
  lacosmic: boolean;
  out?: string;
  normalize?: Normalize;
  threshold: number;
  dilateModels: "auto" | "yes" | "no";
  batch: number;
  subsets: string[];
  cutouts: number;
  sigclip: number;
  sigfrac: number;
  objlim: number;
  sweep: number;
  gain?: number;
  readnoise?: number;
  saturate?: number;
  quiet: boolean;
}

const VALUED = [
  "data",
  "split",
  "out",
  "normalize",
  "threshold",
  "dilate-models",
  "batch",
  "subsets",
  "cutouts",
  "sigclip",
  "sigfrac",
  "objlim",
  "sweep",
  "gain",
  "readnoise",
  "saturate",
] as const;
type Valued = (typeof VALUED)[number];

function positive(name: string, text: string | undefined, fallback: number, integer = false): number {
  return text === undefined ? fallback : numberFlag(name, text, { integer, positive: true });
}

export function parseEvalArgs(argv: string[]): EvalArgs {
  const v: Partial<Record<Valued, string>> = {};
  const models: string[] = [];
  let lacosmic = false, quiet = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("--")) throw new UsageError(`unexpected argument '${a}'`);
    const name = a.slice(2);
    if (name === "lacosmic") lacosmic = true;
    else if (name === "quiet") quiet = true;
    else if (name === "models" || name === "model") {
      // Every following value up to the next option is a checkpoint.
      const before = models.length;
      while (i + 1 < argv.length && !argv[i + 1].startsWith("--")) models.push(argv[++i]);
      if (models.length === before) throw new UsageError(`--${name} needs at least one checkpoint file`);
    } else if ((VALUED as readonly string[]).includes(name)) {
      const value = argv[++i];
      if (value === undefined || value.startsWith("--")) throw new UsageError(`--${name} needs a value`);
      v[name as Valued] = value;
    } else throw new UsageError(`unknown option --${name}`);
  }
  if (v.data === undefined) throw new UsageError("--data <dataset dir> is required");
  if (models.length === 0 && !lacosmic) {
    throw new UsageError("nothing to evaluate: give --models <ckpt> … and/or --lacosmic");
  }
  const split = (v.split ?? "test") as Split;
  if (!["train", "val", "test"].includes(split)) {
    throw new UsageError(`--split must be train, val or test (got '${split}')`);
  }
  const threshold = Number(v.threshold ?? 0.5);
  if (v.threshold?.trim() === "" || !(threshold >= 0 && threshold <= 1)) {
    throw new UsageError(`--threshold needs a number in [0, 1] (got '${v.threshold}')`);
  }
  const dilateModels = (v["dilate-models"] ?? "auto") as EvalArgs["dilateModels"];
  if (!["auto", "yes", "no"].includes(dilateModels)) {
    throw new UsageError(`--dilate-models must be auto, yes or no (got '${dilateModels}')`);
  }
  let normalize: Normalize | undefined;
  if (v.normalize !== undefined) {
    try {
      normalize = parseNormalize(v.normalize);
    } catch (e) {
      throw new UsageError(`--normalize: ${(e as Error).message}`);
    }
  }
  const opt = (name: Valued) => (v[name] === undefined ? undefined : positive(name, v[name], 0));
  return {
    data: v.data,
    split,
    models,
    lacosmic,
    out: v.out,
    normalize,
    threshold,
    dilateModels,
    batch: positive("batch", v.batch, 4, true),
    subsets: v.subsets === "none"
      ? []
      : (v.subsets ?? "band,telescope").split(",").map((s) => s.trim()).filter(Boolean),
    cutouts: v.cutouts === "0" ? 0 : positive("cutouts", v.cutouts, 4, true),
    sigclip: positive("sigclip", v.sigclip, 4.5),
    sigfrac: positive("sigfrac", v.sigfrac, 0.1),
    objlim: positive("objlim", v.objlim, 1),
    sweep: positive("sweep", v.sweep, 20, true),
    gain: opt("gain"),
    readnoise: opt("readnoise"),
    saturate: opt("saturate"),
    quiet,
  };
}

const basename = (p: string) => p.split(/[\\/]/).pop() ?? p;

/** Short unique names: file names without extension, with the parent folder where two collide. */
function modelNames(paths: string[]): string[] {
  const stem = (p: string) => basename(p).replace(/\.(pth|pt|safetensors)$/i, "");
  const names = paths.map(stem);
  return names.map((n, i) => {
    if (names.filter((x) => x === n).length === 1) return n;
    const parent = basename(paths[i].split(/[\\/]/).slice(0, -1).join("/") || ".");
    return `${parent}/${n}`;
  });
}

function timestamp(): string {
  const d = new Date(), p = (x: number) => String(x).padStart(2, "0");
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${
    p(d.getSeconds())
  }`;
}

function progress(quiet: boolean): (p: EvalProgress) => void {
  const tty = Deno.stderr.isTerminal();
  const enc = new TextEncoder();
  let t0 = performance.now(), current = -1;
  return (p) => {
    if (quiet) return;
    if (p.index !== current) (current = p.index), (t0 = performance.now());
    const elapsed = (performance.now() - t0) / 1000;
    const eta = p.total ? ` ETA ${((elapsed / p.done) * (p.total - p.done)).toFixed(0)} s` : "";
    const line = `[${p.index + 1}/${p.methods}] ${p.method}: chunk ${p.done}${p.total ? `/${p.total}` : ""} ` +
      `${elapsed.toFixed(0)} s${eta}`;
    const last = p.total !== null && p.done === p.total;
    if (tty) Deno.stderr.writeSync(enc.encode(`\r${line.padEnd(70)}${last ? "\n" : ""}`));
    else if (last || p.done % 50 === 0) Deno.stderr.writeSync(enc.encode(`${line}\n`));
  };
}

async function readModelFile(path: string): Promise<Uint8Array> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    const why = e instanceof Deno.errors.NotFound ? "no such file" : e instanceof Error ? e.message : String(e);
    throw new InputError(`cannot read model '${path}': ${why}`);
  }
  // A .pth is a zip ("PK"); safetensors has its JSON header's '{' at byte 8.
  if (!(bytes[0] === 0x50 && bytes[1] === 0x4b) && bytes[8] !== 0x7b) {
    throw new InputError(`'${path}' is not a model checkpoint (neither a PyTorch .pth zip nor safetensors)`);
  }
  return bytes;
}

export async function main(argv: string[]): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(USAGE);
    return 0;
  }
  const releases: (() => void)[] = [];
  try {
    const args = parseEvalArgs(argv);
    const files = await Promise.all(args.models.map(readModelFile));
    const ds = await Dataset.open(args.data);
    const n = ds.size(args.split);
    if (n === 0) {
      throw new InputError(`${args.data.replace(/\/+$/, "")}/dataset.json: the ${args.split} split has no chunks`);
    }
    const methods: Method[] = [];
    const names = modelNames(args.models);
    if (files.length) await init();
    for (const [i, path] of args.models.entries()) {
      const { model, variant, metadata, settings } = await openModel(files[i], path, { normalize: args.normalize });
      releases.push(() => model.release());
      // Models not trained on 3×3-dilated masks get their predictions dilated (the paper's rule); the model's card
      // (our metadata, or a published checkpoint's registry entry) says which.
      const dilate = args.dilateModels === "yes" || (args.dilateModels === "auto" && !settings.dilatedMasks);
      const normalize = settings.normalize;
      methods.push(unetMethod(model, {
        name: names[i],
        normalize,
        dilate,
        batch: args.batch,
        details: {
          file: path,
          variant,
          ...(metadata.dilated_masks !== undefined ? { dilated_masks: metadata.dilated_masks } : {}),
        },
      }));
    }
    if (args.lacosmic) {
      methods.push(lacosmicMethod({
        sigclips: sigclipSweep(args.sweep),
        fixedSigclip: args.sigclip,
        sigfrac: args.sigfrac,
        objlim: args.objlim,
        gain: args.gain,
        readnoise: args.readnoise,
        saturate: args.saturate,
      }));
    }
    const out = args.out ?? `runs/eval-${timestamp()}`;
    if (!args.quiet) {
      console.error(`evaluating ${methods.map((m) => m.name).join(", ")} on ${n} ${args.split} chunks of ${args.data}`);
    }
    const result = await evaluate(ds, methods, {
      split: args.split,
      subsets: args.subsets,
      threshold: args.threshold,
      cutouts: args.cutouts,
      onProgress: progress(args.quiet),
    });
    const written = await writeReport(result, out);
    console.log(formatTable(result));
    for (const m of result.methods) {
      console.log(
        `${m.name}: ${m.seconds.toFixed(1)} s; ${Object.entries(m.details).map(([k, v]) => `${k} ${v}`).join("; ")}`,
      );
    }
    console.log(`wrote ${written.join(", ")}`);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`eval: ${e.message}\n${USAGE}`);
      return 2;
    }
    if ([InputError, DatasetError, CheckpointError, SettingsError, EvalError, LacosmicError].some((k) => e instanceof k)) {
      console.error(`eval: ${(e as Error).message}`);
      return 2;
    }
    if (e instanceof GpuError || e instanceof RangeError) {
      console.error(`eval: ${(e as Error).message}`);
      return 1;
    }
    console.error(`eval: unexpected error: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
    return 1;
  } finally {
    for (const r of releases) r();
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
