// The methods `evaluate` compares: anything that gives a score per pixel (a UNet, or any function in tests), and
// LACosmic, which gives one mask per parameter set and is swept over sigclip for its curve.
import { DEFAULTS, type LacosmicOptions } from "../data/lacosmic.ts";
import { DECAM } from "../data/synth/constants.ts";
import { noGrad } from "../nn/autograd.ts";
import { type Normalize, padImage, prepareImage } from "../nn/detect/prep.ts";
import type { UNet } from "../nn/modules/unet.ts";
import { Tensor, tidy } from "../nn/tensor.ts";

/** Scores per pixel (higher = more CR-like) for a batch of size × size images (raw ADU, row-major). */
export interface ModelMethod {
  kind: "model";
  name: string;
  /** 3×3 max filter on the scores before comparison (methods not trained on 3×3-dilated masks). */
  dilate: boolean;
  /** Chunks per call to `scores`. */
  batch: number;
  /** What to print and store about the method (variant, normalize, file…). */
  details: Record<string, string | number | boolean>;
  scores(images: Float32Array[], size: number): Promise<Float32Array[]>;
}

/**
 * LACosmic (Astro-SCRAPPY semantics): one full run per sigclip in `sigclips` gives the curve's operating points;
 * the run at `fixedSigclip` gives the threshold metrics and the report's cutouts. Masks are always dilated 3×3.
 */
export interface LacosmicMethod {
  kind: "lacosmic";
  name: string;
  dilate: true;
  /** Ascending; contains fixedSigclip. */
  sigclips: number[];
  fixedSigclip: number;
  /** Every other keyword (sigfrac, objlim, niter, …), the same for all runs. */
  options: Omit<LacosmicOptions, "sigclip" | "inmask">;
  /** Used when neither the chunk's info nor the dataset's manifest gives them (e⁻/ADU, e⁻, ADU). */
  fallback: { gain?: number; readnoise?: number; saturate?: number };
  details: Record<string, string | number | boolean>;
}

export type Method = ModelMethod | LacosmicMethod;

export class EvalError extends Error {
  override name = "EvalError";
}

/** A method from any scoring function (tests, other detectors). */
export function scoreMethod(
  name: string,
  scores: (images: Float32Array[], size: number) => Promise<Float32Array[]> | Float32Array[],
  opts: { dilate?: boolean; batch?: number; details?: Record<string, string | number | boolean> } = {},
): ModelMethod {
  return {
    kind: "model",
    name,
    dilate: opts.dilate ?? false,
    batch: opts.batch ?? 1,
    details: opts.details ?? {},
    scores: async (images, size) => await scores(images, size),
  };
}

export interface UnetMethodOptions {
  name: string;
  /** Pixel normalisation, applied to each chunk on its own (statistics of the chunk); default "none". */
  normalize?: Normalize;
  dilate?: boolean;
  /** Chunks per forward pass; default 4 (256² × 4 peaks near 140 MB of GPU memory: ~0.5 KB per pixel). */
  batch?: number;
  details?: Record<string, string | number | boolean>;
}

/**
 * A UNet as a method: each batch of chunks is one forward pass in eval mode under noGrad, inside tidy. Sides are
 * mirror-padded to the UNet's multiple (4) and cropped back, as `detect` does; NaN/Inf pixels are filled with the
 * chunk's median and get score 0.
 */
export function unetMethod(model: UNet, opts: UnetMethodOptions): ModelMethod {
  const normalize = opts.normalize ?? "none";
  const batch = opts.batch ?? 4;
  return {
    kind: "model",
    name: opts.name,
    dilate: opts.dilate ?? false,
    batch,
    details: { normalize, ...opts.details },
    async scores(images, size) {
      const m = model.sizeMultiple;
      const ps = Math.max(m, Math.ceil(size / m) * m);
      const input = new Float32Array(images.length * ps * ps);
      images.forEach((img, b) => {
        const { pixels } = prepareImage(img, normalize);
        input.set(padImage(pixels, size, size, ps, ps), b * ps * ps);
      });
      const wasTraining = model.training;
      model.eval();
      let probs: Float32Array;
      try {
        const out = tidy(() => noGrad(() => model.forward(Tensor.fromArray(input, [images.length, 1, ps, ps]))));
        try {
          probs = await out.read();
        } finally {
          out.release();
        }
      } finally {
        model.train(wasTraining);
      }
      return images.map((img, b) => {
        const s = new Float32Array(size * size);
        for (let y = 0; y < size; y++) {
          for (let x = 0; x < size; x++) {
            const p = probs[b * ps * ps + y * ps + x];
            if (Number.isNaN(p)) {
              throw new EvalError(
                `${opts.name}: the network returned NaN at pixel (${x}, ${y}) of a chunk (normalize ${normalize}; ` +
                  `try --normalize median or zscore)`,
              );
            }
            s[y * size + x] = Number.isFinite(img[y * size + x]) ? p : 0;
          }
        }
        return s;
      });
    },
  };
}

/** `n` sigclip values log-spaced over [1, 20] (the paper's sweep range), 4 significant digits; n = 1 gives [1]. */
export function sigclipSweep(n: number): number[] {
  if (n === 1) return [1];
  return Array.from({ length: n }, (_, k) => Number((20 ** (k / (n - 1))).toPrecision(4)));
}

/** The paper's sweep: 20 sigclip values over [1, 20]. */
export const LACOSMIC_SWEEP: readonly number[] = sigclipSweep(20);

export interface LacosmicMethodOptions {
  name?: string;
  /** Sweep for the curve; default LACOSMIC_SWEEP. fixedSigclip is added if missing. */
  sigclips?: readonly number[];
  /** The run giving threshold metrics and cutouts; default 4.5 (Astro-SCRAPPY's default). */
  fixedSigclip?: number;
  /** Default 0.1 (the paper's DECam setting). */
  sigfrac?: number;
  /** Default 1.0 (the paper's DECam setting). */
  objlim?: number;
  /** Fallbacks when chunk info and manifest say nothing. */
  gain?: number;
  readnoise?: number;
  saturate?: number;
  /** Any other LACosmic keyword (niter, sepmed, psffwhm, …). */
  extra?: Omit<LacosmicOptions, "sigclip" | "inmask" | "sigfrac" | "objlim" | "gain" | "readnoise" | "satlevel">;
}

export function lacosmicMethod(opts: LacosmicMethodOptions = {}): LacosmicMethod {
  const fixedSigclip = opts.fixedSigclip ?? DEFAULTS.sigclip;
  const sweep = opts.sigclips ?? LACOSMIC_SWEEP;
  for (const s of [...sweep, fixedSigclip]) {
    if (!(s > 0 && Number.isFinite(s))) throw new EvalError(`LACosmic sigclip ${s} is not a positive number`);
  }
  const sigclips = [...new Set([...sweep, fixedSigclip])].sort((a, b) => a - b);
  const options = { ...opts.extra, sigfrac: opts.sigfrac ?? 0.1, objlim: opts.objlim ?? 1.0 };
  return {
    kind: "lacosmic",
    name: opts.name ?? "LACosmic",
    dilate: true,
    sigclips,
    fixedSigclip,
    options,
    fallback: { gain: opts.gain, readnoise: opts.readnoise, saturate: opts.saturate },
    details: {
      sweep: `sigclip ${sigclips[0]}–${sigclips[sigclips.length - 1]} (${sigclips.length} runs)`,
      fixed: `sigclip ${fixedSigclip}`,
      sigfrac: options.sigfrac,
      objlim: options.objlim,
    },
  };
}

type Info = Readonly<Record<string, unknown>>;

function num(v: unknown): number | undefined {
  return typeof v === "number" && Number.isFinite(v) && v > 0 ? v : undefined;
}

/** Detector keywords for LACosmic on one chunk, with where each came from. */
export interface DetectorParams {
  gain: number;
  readnoise: number;
  /** Electrons (image × gain), as Astro-SCRAPPY compares it. */
  satlevel: number;
  from: string;
}

/** Nominal detector keywords of known telescopes (chunk info `telescope`), used when nothing else gives them. */
const NOMINAL: Record<string, { gain: number; readnoise: number; saturate: number; source: string }> = {
  decam: {
    gain: DECAM.gain,
    readnoise: DECAM.readNoise,
    saturate: DECAM.fullWell / DECAM.gain,
    source: "DECam nominal, Flaugher et al. 2015",
  },
};

/**
 * gain (e⁻/ADU), readnoise (e⁻) and saturate (ADU; satlevel = saturate × gain) for one chunk, each from the first
 * of: the chunk's info, the manifest's `source`, the method's options, the nominal values of the chunk's telescope
 * (DECam), Astro-SCRAPPY's defaults (gain 1, readnoise 6.5, satlevel 65536 e⁻). `from` says which, for the report.
 */
export function detectorParams(info: Info, source: Info | undefined, m: LacosmicMethod): DetectorParams {
  const nominal = typeof info.telescope === "string" ? NOMINAL[info.telescope.toLowerCase()] : undefined;
  const pick = (fallback: number | undefined, nominalValue: number | undefined, ...keys: string[]) => {
    for (const [where, obj] of [["chunk info", info], ["manifest", source ?? {}]] as const) {
      for (const k of keys) if (num(obj[k]) !== undefined) return { value: num(obj[k])!, from: where };
    }
    if (fallback !== undefined) return { value: fallback, from: "options" };
    if (nominal && nominalValue !== undefined) return { value: nominalValue, from: nominal.source };
    return { value: undefined, from: "Astro-SCRAPPY default" };
  };
  const g = pick(m.fallback.gain, nominal?.gain, "gain");
  const r = pick(m.fallback.readnoise, nominal?.readnoise, "readnoise", "read_noise", "readNoise");
  const s = pick(m.fallback.saturate, nominal?.saturate, "saturate", "saturation");
  const gain = g.value ?? DEFAULTS.gain;
  const readnoise = r.value ?? DEFAULTS.readnoise;
  const satlevel = s.value !== undefined ? s.value * gain : DEFAULTS.satlevel;
  const values = `gain ${gain}, readnoise ${readnoise}, satlevel ${satlevel} e-`;
  const from = g.from === r.from && r.from === s.from
    ? `${values} (${g.from})`
    : `gain ${gain} (${g.from}), readnoise ${readnoise} (${r.from}), satlevel ${satlevel} e- (${s.from})`;
  return { gain, readnoise, satlevel, from };
}
