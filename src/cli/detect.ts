// Command-line CR detection with a trained UNet: a FITS image in, a probability map and/or a mask out.
//   deno run -A src/cli/detect.ts <in.fits> [--model <file.pth|file.safetensors>] [--variant <name|auto>]
//     [--hdu <index|EXTNAME>] [--prob <out.fits>] [--mask <out.fits>] [--png <out.png>] [--threshold 0.5]
//     [--normalize none|median|zscore|scale:K] [--patch 1024] [--quiet]
import { FitsError, type FitsCard, type FitsImage, readFits, readImage, writeFits } from "../data/fits.ts";
import { CheckpointError } from "../nn/checkpoint/types.ts";
import { openModel } from "../app/models.ts";
import { SettingsError } from "../app/settings.ts";
import {
  crMask,
  DEFAULT_PATCH,
  detect,
  DetectError,
  minPatch,
  type Normalize,
  NORMALIZE_HELP,
  parseNormalize,
} from "../nn/detect.ts";
import { VARIANTS, type VariantName } from "../nn/modules/unet.ts";
import { init } from "../nn/tensor.ts";
import { GpuError } from "../kernels/runtime.ts";
import { encodePngRgb, maskPreview } from "../eval/png.ts";
import { exists } from "./files.ts";

const DEFAULT_MODEL = new URL("../../models/default.safetensors", import.meta.url);

/** Absolute file URL of a path relative to the working directory ("." and ".." resolved). */
const fileUrl = (path: string) => new URL(path, `file://${Deno.cwd()}/`);
const basename = (path: string) => path.split(/[\\/]/).pop() ?? path;
const samePath = (a: string, b: string) => fileUrl(a).href === fileUrl(b).href;

const USAGE = `usage: detect <in.fits> [--model <file.pth|file.safetensors>] [--variant <name|auto>]
  [--hdu <index|EXTNAME>] [--prob <out.fits>] [--mask <out.fits>] [--png <out.png>] [--threshold 0.5]
  [--normalize MODE] [--patch ${DEFAULT_PATCH}] [--quiet]
Writes the CR probability map (float32) and/or the mask (uint8, 1 = cosmic ray where p > threshold), both with the
input header's cards, and/or a PNG quick-look (the image beside it with the mask in magenta, at most 1024 px a
side per panel). Model: --model, else models/default.safetensors.
Variants: auto, ${Object.keys(VARIANTS).join(", ")}.
--threshold (default: the model's threshold metadata, else 0.5).
--normalize (default: the model's metadata, or a published checkpoint's own (recognised by sha256), else median
  for cosmic-conn-lco, none for the others):
${NORMALIZE_HELP.map(([k, v]) => `  ${k.padEnd(8)} ${v}`).join("\n")}
--patch: images with both sides <= patch run as one pass; larger ones in overlapping tiles of at most patch x patch.`;

class UsageError extends Error {}

/** Errors that already say what went wrong and where: printed as they are. */
class InputError extends Error {}

interface Args {
  input: string;
  model?: string;
  variant: VariantName | "auto";
  hdu?: number | string;
  prob?: string;
  mask?: string;
  png?: string;
  /** Absent: the model's `threshold` metadata, else 0.5. */
  threshold?: number;
  normalize?: Normalize;
  patch: number;
  quiet: boolean;
}

const VALUED = ["model", "variant", "hdu", "prob", "mask", "png", "threshold", "normalize", "patch"] as const;

export function parseDetectArgs(argv: string[]): Args {
  const v: Partial<Record<(typeof VALUED)[number], string>> = {};
  let input: string | undefined;
  let quiet = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("--")) {
      if (input !== undefined) throw new UsageError(`more than one input file ('${input}', '${a}')`);
      input = a;
      continue;
    }
    const name = a.slice(2);
    if (name === "quiet") {
      quiet = true;
      continue;
    }
    if (!(VALUED as readonly string[]).includes(name)) throw new UsageError(`unknown option --${name}`);
    const value = argv[++i];
    if (value === undefined || value.startsWith("--")) throw new UsageError(`--${name} needs a value`);
    v[name as (typeof VALUED)[number]] = value;
  }
  if (input === undefined) throw new UsageError("no input FITS file given");
  const variant = v.variant ?? "auto";
  if (variant !== "auto" && !Object.hasOwn(VARIANTS, variant)) {
    throw new UsageError(`unknown variant '${variant}' (known: auto, ${Object.keys(VARIANTS).join(", ")})`);
  }
  // Absent: the model's `threshold` metadata (its validation-chosen operating point), else 0.5.
  const threshold = v.threshold === undefined ? undefined : Number(v.threshold);
  if (threshold !== undefined && (v.threshold?.trim() === "" || !(threshold >= 0 && threshold <= 1))) {
    throw new UsageError(`--threshold needs a number in [0, 1] (got '${v.threshold}')`);
  }
  const patch = Number(v.patch ?? DEFAULT_PATCH);
  // Every variant is UNet-3: tiles start on a 4-pixel grid and need room for their 96-pixel overlap.
  if (!Number.isInteger(patch) || patch % 4 || patch < minPatch(3)) {
    throw new UsageError(`--patch needs a multiple of 4, at least ${minPatch(3)} (got '${v.patch}')`);
  }
  let normalize: Normalize | undefined;
  if (v.normalize !== undefined) {
    try {
      normalize = parseNormalize(v.normalize);
    } catch (e) {
      throw new UsageError(`--normalize: ${(e as Error).message}`);
    }
  }
  const hdu = v.hdu === undefined ? undefined : /^\d+$/.test(v.hdu) ? Number(v.hdu) : v.hdu;
  const args: Args = { input, variant: variant as Args["variant"], hdu, threshold, patch, normalize, quiet };
  if (v.model !== undefined) args.model = v.model;
  if (v.prob !== undefined) args.prob = v.prob;
  if (v.mask !== undefined) args.mask = v.mask;
  if (v.png !== undefined) args.png = v.png;
  const outputs = [args.prob, args.mask, args.png].filter((o) => o !== undefined);
  for (const out of outputs) {
    if (samePath(out, input)) throw new UsageError(`output '${out}' would overwrite the input`);
  }
  if (outputs.some((o, i) => outputs.slice(i + 1).some((p) => samePath(o, p)))) {
    throw new UsageError("--prob, --mask and --png must name different files");
  }
  return args;
}

async function readBytes(path: string | URL, what: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (e) {
    const why = e instanceof Deno.errors.NotFound ? "no such file" : e instanceof Error ? e.message : String(e);
    throw new InputError(`cannot read ${what} '${path instanceof URL ? path.pathname : path}': ${why}`);
  }
}


/** Fails before hours of work rather than after: the output's folder must exist. */
async function checkOutputDir(path: string): Promise<void> {
  const dir = new URL(".", fileUrl(path));
  if (!(await exists(dir))) throw new InputError(`cannot write '${path}': folder '${dir.pathname}' does not exist`);
}

/** Keys describing the input's pixel values, wrong on a probability map or a mask. */
const VALUE_KEYS = new Set(["BUNIT", "SATURATE", "SATLEVEL"]);

function carriedCards(image: FitsImage): FitsCard[] {
  return image.header.cards.filter((c) => !VALUE_KEYS.has(c.key));
}

/** FITS headers hold printable ASCII only. */
const ascii = (s: string) => s.replace(/[^\x20-\x7e]/g, "?");

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

function duration(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
}

function progress(quiet: boolean): (done: number, total: number) => void {
  const t0 = performance.now();
  const tty = Deno.stderr.isTerminal();
  const enc = new TextEncoder();
  return (done, total) => {
    if (quiet || total === 1) return;
    const elapsed = (performance.now() - t0) / 1000;
    const eta = (elapsed / done) * (total - done);
    const line = `tile ${done}/${total}  elapsed ${duration(elapsed)}  ETA ${duration(eta)}`;
    Deno.stderr.writeSync(enc.encode(tty ? `\r${line.padEnd(60)}${done === total ? "\n" : ""}` : `${line}\n`));
  };
}

export async function main(argv: string[]): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(USAGE);
    return 0;
  }
  try {
    const args = parseDetectArgs(argv);
    for (const out of [args.prob, args.mask, args.png]) if (out !== undefined) await checkOutputDir(out);
    const image = await readImage(await readFits(await readBytes(args.input, "input"), args.input), args.hdu);
    const modelPath: string | URL = args.model ?? DEFAULT_MODEL;
    if (args.model === undefined && !(await exists(DEFAULT_MODEL))) {
      throw new UsageError(
        `no model given and ${DEFAULT_MODEL.pathname} does not exist: pass --model <file.pth|file.safetensors> ` +
          `(e.g. ../shared/models/paper/cosmic_conn.pth)`,
      );
    }
    const modelName = modelPath instanceof URL ? basename(modelPath.pathname) : basename(modelPath);
    const modelBytes = await readBytes(modelPath, "model");
    // A .pth is a zip ("PK"); safetensors has its JSON header's '{' at byte 8.
    if (!(modelBytes[0] === 0x50 && modelBytes[1] === 0x4b) && modelBytes[8] !== 0x7b) {
      const shown = modelPath instanceof URL ? modelPath.pathname : modelPath;
      throw new InputError(`'${shown}' is not a model checkpoint (neither a PyTorch .pth zip nor safetensors)`);
    }
    const rt = await init();
    const opened = await openModel(modelBytes, modelPath instanceof URL ? modelPath.pathname : modelPath, {
      variant: args.variant,
      normalize: args.normalize,
      threshold: args.threshold,
    });
    const { model, variant, settings } = opened;
    const { normalize, threshold } = settings;
    const normalizeFrom = settings.from.normalize;
    const { width, height } = image;
    const t0 = performance.now();
    const result = await detect(model, image.data, width, height, {
      patch: args.patch,
      normalize,
      onProgress: progress(args.quiet),
    });
    const seconds = (performance.now() - t0) / 1000;
    model.release();
    const mask = crMask(result.probabilities, threshold);
    const flagged = mask.reduce((a, b) => a + b, 0);

    const source = `${basename(args.input)} HDU ${image.hdu}${image.extname ? ` '${image.extname}'` : ""}`;
    const header = carriedCards(image);
    const notes = [
      `crgpu detect: ${source}`,
      `model ${modelName} (${variant})`,
      `normalize ${normalize}, patch ${args.patch}, ${result.tiles} tile(s)`,
      ...(result.nonFinite ? [`${result.nonFinite} NaN/Inf input pixels: filled with the median, p = 0`] : []),
    ].map(ascii);
    const written: string[] = [];
    if (args.prob) {
      const history = [...notes, "pixel values: cosmic-ray probability in [0, 1]"];
      await Deno.writeFile(args.prob, writeFits([{ data: result.probabilities, width, height, header, history }]));
      written.push(`${args.prob} (probability, float32)`);
    }
    if (args.mask) {
      const history = [...notes, `pixel values: 1 = cosmic ray (probability > ${threshold}), 0 = not`];
      await Deno.writeFile(args.mask, writeFits([{ data: mask, width, height, header, history }]));
      written.push(`${args.mask} (mask, uint8)`);
    }
    if (args.png) {
      const view = maskPreview(image.data, mask, width, height);
      await Deno.writeFile(args.png, await encodePngRgb(view.rgb, view.width, view.height));
      written.push(`${args.png} (quick-look, ${view.width} × ${view.height})`);
    }
    const tiles = result.tiles === 1
      ? "1 pass"
      : `${result.tiles} tiles of ${result.layout.tileW} × ${result.layout.tileH}`;
    const rss = Deno.memoryUsage().rss;
    console.log(
      `${source}: ${width} × ${height}, ${tiles}, ${seconds.toFixed(2)} s ` +
        `(${(width * height / 1e6 / seconds).toFixed(3)} MP/s); ${flagged} pixels flagged ` +
        `(${(100 * flagged / (width * height)).toFixed(3)}%) at p > ${threshold}` +
        (result.nonFinite ? `; ${result.nonFinite} NaN/Inf pixels (p = 0)` : ""),
    );
    console.log(
      `model ${modelName} (${variant}), normalize ${normalize} (${normalizeFrom}); peak GPU pool ` +
        `${mib(result.peakPoolBytes)} (live ${mib(result.peakLiveBytes)}); process RSS ${mib(rss)}; ${rt.adapterName}`,
    );
    console.log(written.length ? `wrote ${written.join(", ")}` : "nothing written (give --prob, --mask and/or --png)");
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`detect: ${e.message}\n${USAGE}`);
      return 2;
    }
    const known = [InputError, FitsError, CheckpointError, SettingsError, DetectError, GpuError, RangeError];
    if (known.some((k) => e instanceof k)) {
      console.error(`detect: ${(e as Error).message}`);
      return 1;
    }
    console.error(`detect: unexpected error: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
