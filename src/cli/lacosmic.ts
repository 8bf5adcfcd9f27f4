// Command-line LACosmic: a FITS image in, a cosmic-ray mask (and optionally the cleaned image) out.
//   deno run -A src/cli/lacosmic.ts <in.fits> --mask <out.fits> [--clean <out.fits>] [--hdu <index|EXTNAME>]
//     [--sigclip 4.5] [--sigfrac 0.3] [--objlim 5] [--gain 1] [--readnoise 6.5] [--satlevel 65536] [--niter 4]
//     [--sepmed | --no-sepmed] [--cleantype meanmask|median|medmask|idw] [--fsmode median|convolve]
//     [--psfmodel gauss|gaussx|gaussy|moffat] [--psffwhm 2.5] [--psfsize 7] [--psfbeta 4.765]
//     [--inmask <bad-pixels.fits>] [--psfk <kernel.fits>] [--verbose]
import { FitsError, type FitsImage, readFits, readImage, writeFits } from "../data/fits.ts";
import { DEFAULTS, detectCosmics, LacosmicError, type LacosmicOptions } from "../data/lacosmic.ts";

const USAGE = `usage: lacosmic <in.fits> --mask <out.fits> [--clean <out.fits>] [--hdu <index|EXTNAME>]
  [--sigclip N] [--sigfrac N] [--objlim N] [--gain N] [--readnoise N] [--satlevel N] [--niter N]
  [--sepmed | --no-sepmed] [--cleantype meanmask|median|medmask|idw] [--fsmode median|convolve]
  [--psfmodel gauss|gaussx|gaussy|moffat] [--psffwhm N] [--psfsize N] [--psfbeta N]
  [--inmask <bad-pixels.fits>] [--psfk <kernel.fits>] [--verbose]
Astro-SCRAPPY 1.1.0's detect_cosmics keywords and defaults. Writes a uint8 mask (1 = cosmic ray) and, with
--clean, the cleaned float32 image, both carrying the input header.`;

class UsageError extends Error {}

const NUMBERS = [
  "sigclip",
  "sigfrac",
  "objlim",
  "gain",
  "readnoise",
  "satlevel",
  "niter",
  "psffwhm",
  "psfsize",
  "psfbeta",
] as const;
const WORDS = ["cleantype", "fsmode", "psfmodel"] as const;
const FILES = ["mask", "clean", "hdu", "inmask", "psfk"] as const;

interface Args {
  input: string;
  mask: string;
  files: Partial<Record<(typeof FILES)[number], string>>;
  opts: LacosmicOptions;
}

export function parseArgs(argv: string[]): Args {
  const files: Args["files"] = {};
  const opts: Record<string, number | string | boolean> = {};
  let input: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("--")) {
      if (input !== undefined) throw new UsageError(`more than one input file ('${input}', '${a}')`);
      input = a;
      continue;
    }
    const name = a.slice(2);
    if (name === "sepmed" || name === "no-sepmed") {
      opts.sepmed = name === "sepmed";
      continue;
    }
    if (name === "verbose") {
      opts.verbose = true;
      continue;
    }
    const value = argv[i + 1];
    const known = [...NUMBERS, ...WORDS, ...FILES] as readonly string[];
    if (!known.includes(name)) throw new UsageError(`unknown option --${name}`);
    if (value === undefined || value.startsWith("--")) throw new UsageError(`--${name} needs a value`);
    i++;
    if ((NUMBERS as readonly string[]).includes(name)) {
      const num = Number(value);
      if (value.trim() === "" || Number.isNaN(num)) throw new UsageError(`--${name} needs a number (got '${value}')`);
      opts[name] = num;
    } else if ((WORDS as readonly string[]).includes(name)) {
      opts[name] = value;
    } else {
      files[name as (typeof FILES)[number]] = value;
    }
  }
  if (input === undefined) throw new UsageError("no input FITS file given");
  if (!files.mask) throw new UsageError("--mask <out.fits> is required");
  return { input, mask: files.mask, files, opts: opts as LacosmicOptions };
}

async function load(path: string, hdu?: number | string): Promise<FitsImage<Float32Array>> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    const why = e instanceof Deno.errors.NotFound ? "no such file" : e instanceof Error ? e.message : String(e);
    throw new UsageError(`cannot read '${path}': ${why}`);
  }
  return await readImage(await readFits(bytes, path), hdu);
}

function history(opts: LacosmicOptions): string[] {
  const used = { ...DEFAULTS, ...opts };
  const keys = [...NUMBERS, ...WORDS, "sepmed"] as const;
  return [`crgpu lacosmic (Astro-SCRAPPY 1.1.0 algorithm)`, keys.map((k) => `${k}=${used[k]}`).join(" ")];
}

export async function main(argv: string[]): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(USAGE);
    return 0;
  }
  try {
    const { input, mask: maskPath, files, opts } = parseArgs(argv);
    const hdu = files.hdu === undefined ? undefined : /^\d+$/.test(files.hdu) ? Number(files.hdu) : files.hdu;
    const image = await load(input, hdu);
    if (files.inmask) {
      const m = await load(files.inmask);
      if (m.width !== image.width || m.height !== image.height) {
        throw new UsageError(`--inmask is ${m.width} × ${m.height}, the image ${image.width} × ${image.height}`);
      }
      opts.inmask = Uint8Array.from(m.data, (v) => (v !== 0 ? 1 : 0));
    }
    if (files.psfk) {
      const k = await load(files.psfk);
      opts.psfk = { data: k.data, width: k.width, height: k.height };
    }
    const t0 = performance.now();
    const { mask, clean, iterations } = detectCosmics(image.data, image.width, image.height, opts);
    const seconds = (performance.now() - t0) / 1000;
    const { width, height, header } = image;
    const notes = history(opts);
    await Deno.writeFile(maskPath, writeFits([{ data: mask, width, height, header, history: notes }]));
    if (files.clean) {
      await Deno.writeFile(files.clean, writeFits([{ data: clean, width, height, header, history: notes }]));
    }
    const flagged = mask.reduce((a, b) => a + b, 0);
    console.log(
      `${input}: ${flagged} pixels flagged (${width} × ${height}, ${iterations} iterations) in ${seconds.toFixed(3)} s`,
    );
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`lacosmic: ${e.message}\n${USAGE}`);
      return 2;
    }
    if (e instanceof LacosmicError || e instanceof FitsError) {
      console.error(e.message);
      return 1;
    }
    throw e;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
