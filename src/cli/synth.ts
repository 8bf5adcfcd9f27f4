// Command-line simulator: DECam-like science frames and DECam / LCO dark frames as FITS.
//   deno run -A src/cli/synth.ts science --band r --size 2048x4096 --seed 1 --out frame.fits [--seeing 1.1]
//     [--beta 3] [--exposure 90] [--bias 0] [--bad-columns] [--cosmics] [--mask crmask.fits] [--png preview.png]
//   deno run -A src/cli/synth.ts dark --exposure 90 --seed 2 --out dark.fits [--mask darkmask.fits]
//     [--ccd decam|lco-thin] [--size 2048x4096] [--bias 0] [--png preview.png]
import { type FitsCard, writeFits } from "../data/fits.ts";
import { type Band, BANDS, type CcdName, simulateDark, simulateScience } from "../data/synth/index.ts";
import { asinhStretch, encodePng } from "../data/synth/png.ts";
import { numberFlag, parseArgs, sizeFlag } from "./args.ts";

const USAGE = `usage: synth science --band g|r|i|z --seed N --out frame.fits [--size WxH] [--seeing ARCSEC] [--beta B]
                    [--exposure S] [--bias ADU] [--bad-columns] [--cosmics] [--mask crmask.fits] [--png preview.png]
       synth dark --exposure S --seed N --out dark.fits [--mask darkmask.fits] [--ccd decam|lco-thin] [--size WxH]
                  [--bias ADU] [--png preview.png]
Sizes default to 2048x4096 (one DECam CCD). Images are float32 ADU; masks uint8 (1 = cosmic ray).`;

const SIMULATOR = "crgpu synth 1";


const card = (key: string, value: FitsCard["value"], comment: string): FitsCard => ({ key, value, comment });

async function preview(path: string, image: Float32Array, width: number, height: number, low: number, sigma: number) {
  await Deno.writeFile(
    path,
    await encodePng(asinhStretch(image, width, height, low - sigma, sigma, low + 5000), width, height),
  );
}

async function science(argv: string[]): Promise<void> {
  const a = parseArgs(argv, {
    band: "r",
    size: "2048x4096",
    seed: "",
    out: "",
    seeing: "",
    beta: "",
    exposure: "90",
    bias: "0",
    "bad-columns": false,
    cosmics: false,
    mask: "",
    png: "",
  });
  if (!BANDS.includes(a.band as Band)) throw new Error(`--band must be one of ${BANDS.join(", ")}`);
  if (a.seed === "" || a.out === "") throw new Error("--seed and --out are required");
  if (a.mask !== "" && !a.cosmics) throw new Error("--mask needs --cosmics (science frames are CR-free otherwise)");
  const [width, height] = sizeFlag(a.size);
  const t0 = performance.now();
  const f = simulateScience({
    width,
    height,
    band: a.band as Band,
    seed: numberFlag("seed", a.seed),
    exposure: numberFlag("exposure", a.exposure),
    seeing: a.seeing === "" ? undefined : numberFlag("seeing", a.seeing),
    beta: a.beta === "" ? undefined : numberFlag("beta", a.beta),
    bias: numberFlag("bias", a.bias),
    badColumns: a["bad-columns"],
    cosmics: a.cosmics,
  });
  const m = f.meta;
  const header = [
    card("SIMULATR", SIMULATOR, "crgpu DECam-like frame simulator"),
    card("BAND", m.band, "filter"),
    card("EXPTIME", m.exposure, "exposure, s"),
    card("SEED", m.seed, "RNG seed"),
    card("SEEING", m.seeing, "PSF FWHM, arcsec"),
    card("PSFBETA", m.beta, "Moffat beta"),
    card("SKY", m.sky, "mean sky, ADU (bias excluded)"),
    card("BIAS", m.bias, "bias level, ADU"),
    card("GAIN", m.gain, "e-/ADU"),
    card("RDNOISE", m.readNoise, "read noise, e-"),
    card("MAGZERO", m.zeroPoint, "mag for 1 e-/s"),
    card("PIXSCALE", m.pixelScale, "arcsec/pixel"),
    card("NSTARS", m.stars, "stars drawn"),
    card("NGALAX", m.galaxies, "galaxies drawn"),
    card("NSATUR", m.saturated, "pixels at full well"),
    card("NBADCOL", m.badColumns.length, "bad columns"),
  ];
  await Deno.writeFile(a.out, writeFits([{ data: f.image, width, height, header }]));
  if (a.mask !== "" && f.crMask) await Deno.writeFile(a.mask, writeFits([{ data: f.crMask, width, height, header }]));
  if (a.png !== "") await preview(a.png, f.image, width, height, m.bias + m.sky, Math.sqrt(m.sky / m.gain + 12.25));
  console.log(
    `${a.out}: ${width}×${height} ${m.band}, seeing ${m.seeing.toFixed(2)}″, sky ${m.sky.toFixed(1)} ADU, ` +
      `${m.stars} stars, ${m.galaxies} galaxies in ${((performance.now() - t0) / 1000).toFixed(2)} s`,
  );
}

async function dark(argv: string[]): Promise<void> {
  const a = parseArgs(argv, {
    exposure: "90",
    seed: "",
    out: "",
    mask: "",
    ccd: "decam",
    size: "2048x4096",
    bias: "0",
    png: "",
  });
  if (a.seed === "" || a.out === "") throw new Error("--seed and --out are required");
  if (a.ccd !== "decam" && a.ccd !== "lco-thin") throw new Error("--ccd must be decam or lco-thin");
  const [width, height] = sizeFlag(a.size);
  const t0 = performance.now();
  const d = simulateDark({
    width,
    height,
    exposure: numberFlag("exposure", a.exposure),
    seed: numberFlag("seed", a.seed),
    ccd: a.ccd as CcdName,
    bias: numberFlag("bias", a.bias),
  });
  const m = d.meta;
  const header = [
    card("SIMULATR", SIMULATOR, "crgpu dark-frame simulator"),
    card("CCD", m.ccd, "sensor model"),
    card("EXPTIME", m.exposure, "exposure, s"),
    card("SEED", m.seed, "RNG seed"),
    card("BIAS", m.bias, "bias level, ADU"),
    card("GAIN", m.gain, "e-/ADU"),
    card("RDNOISE", m.readNoise, "e-"),
    card("CRTHRESH", m.threshold, "CR charge for the true mask, e-"),
    card("CRFRAC", m.crFraction, "CR pixel fraction"),
    card("NMUONS", m.muons, "muons"),
    card("NELECTR", m.electrons, "low-energy electrons"),
  ];
  await Deno.writeFile(a.out, writeFits([{ data: d.image, width, height, header }]));
  if (a.mask !== "") await Deno.writeFile(a.mask, writeFits([{ data: d.crMask, width, height, header }]));
  if (a.png !== "") await preview(a.png, d.image, width, height, m.bias, m.readNoise / m.gain);
  console.log(
    `${a.out}: ${width}×${height} ${m.ccd} dark, ${m.exposure} s, ${m.muons} muons + ${m.electrons} ` +
      `electrons, ${(m.crFraction * 100).toFixed(4)}% CR pixels in ${((performance.now() - t0) / 1000).toFixed(2)} s`,
  );
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "--help" || command === "-h") {
    console.log(USAGE);
    return command === undefined ? 2 : 0;
  }
  try {
    if (command === "science") await science(rest);
    else if (command === "dark") await dark(rest);
    else throw new Error(`unknown command '${command}'`);
    return 0;
  } catch (e) {
    console.error(`synth: ${e instanceof Error ? e.message : String(e)}\n${USAGE}`);
    return 2;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
