// LACosmic keywords, with Astro-SCRAPPY 1.1.0's names and defaults, and their validation. Astro-SCRAPPY declares its
// numeric keywords as C floats, so every threshold is rounded to float32 here before it is compared with anything.

export type CleanType = "meanmask" | "median" | "medmask" | "idw";
export type FsMode = "median" | "convolve";
export type PsfModel = "gauss" | "gaussx" | "gaussy" | "moffat";

/** A custom PSF kernel (row-major, odd width and height). */
export interface PsfKernel {
  data: Float32Array;
  width: number;
  height: number;
}

export interface LacosmicOptions {
  /** Bad-pixel mask (non-zero = bad): never flagged, never used to clean. Grown by one pixel, as Astro-SCRAPPY does. */
  inmask?: Uint8Array;
  sigclip?: number;
  sigfrac?: number;
  objlim?: number;
  /** Electrons per ADU; the image is multiplied by it first and the clean image divided by it at the end. */
  gain?: number;
  /** Read noise in electrons. */
  readnoise?: number;
  /** Saturation level in electrons (compared with image × gain, as Astro-SCRAPPY 1.1.0 does). */
  satlevel?: number;
  niter?: number;
  /** Separable medians (rows then columns) instead of square-window medians. */
  sepmed?: boolean;
  cleantype?: CleanType;
  fsmode?: FsMode;
  psfmodel?: PsfModel;
  psffwhm?: number;
  psfsize?: number;
  psfk?: PsfKernel;
  psfbeta?: number;
  verbose?: boolean;
}

export interface ResolvedOptions {
  sigclip: number;
  sigcliplow: number;
  objlim: number;
  gain: number;
  readnoise: number;
  satlevel: number;
  niter: number;
  sepmed: boolean;
  cleantype: CleanType;
  fsmode: FsMode;
  psfmodel: PsfModel;
  psffwhm: number;
  psfsize: number;
  psfk: PsfKernel | undefined;
  psfbeta: number;
  verbose: boolean;
}

export class LacosmicError extends Error {
  constructor(message: string) {
    super(`lacosmic: ${message}`);
    this.name = "LacosmicError";
  }
}

export const DEFAULTS = {
  sigclip: 4.5,
  sigfrac: 0.3,
  objlim: 5.0,
  gain: 1.0,
  readnoise: 6.5,
  satlevel: 65536.0,
  niter: 4,
  sepmed: true,
  cleantype: "meanmask",
  fsmode: "median",
  psfmodel: "gauss",
  psffwhm: 2.5,
  psfsize: 7,
  psfbeta: 4.765,
  verbose: false,
} as const;

const CLEANTYPES: readonly CleanType[] = ["meanmask", "median", "medmask", "idw"];
const FSMODES: readonly FsMode[] = ["median", "convolve"];
const PSFMODELS: readonly PsfModel[] = ["gauss", "gaussx", "gaussy", "moffat"];

const f32 = Math.fround;

function finite(name: string, value: number): number {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new LacosmicError(`${name} must be a finite number (got ${String(value)})`);
  }
  return value;
}

function positive(name: string, value: number): number {
  if (finite(name, value) <= 0) throw new LacosmicError(`${name} must be > 0 (got ${value})`);
  return value;
}

function oneOf<T extends string>(name: string, value: T, allowed: readonly T[]): T {
  if (!allowed.includes(value)) {
    throw new LacosmicError(`unknown ${name} '${String(value)}' (expected one of: ${allowed.join(", ")})`);
  }
  return value;
}

function checkKernel(k: PsfKernel): PsfKernel {
  const { data, width, height } = k;
  const oddSize = (n: number) => Number.isInteger(n) && n >= 1 && n % 2 === 1;
  if (!oddSize(width) || !oddSize(height)) {
    throw new LacosmicError(`psfk must have odd width and height (got ${width} × ${height})`);
  }
  if (!(data instanceof Float32Array) || data.length !== width * height) {
    throw new LacosmicError(`psfk.data must be a Float32Array of ${width * height} values`);
  }
  if (!data.every(Number.isFinite)) throw new LacosmicError("psfk holds a non-finite value");
  return k;
}

/** Applies the defaults, checks every keyword and rounds the numeric ones to float32. */
export function resolveOptions(opts: LacosmicOptions = {}): ResolvedOptions {
  const o = { ...DEFAULTS, ...opts };
  const psfsize = o.psfsize;
  if (!Number.isInteger(psfsize) || psfsize < 1 || psfsize % 2 === 0) {
    throw new LacosmicError(`psfsize must be a positive odd integer (got ${psfsize})`);
  }
  if (!Number.isInteger(o.niter) || o.niter < 0) {
    throw new LacosmicError(`niter must be a non-negative integer (got ${o.niter})`);
  }
  if (finite("readnoise", o.readnoise) < 0) throw new LacosmicError(`readnoise must be >= 0 (got ${o.readnoise})`);
  if (typeof o.satlevel !== "number" || Number.isNaN(o.satlevel)) {
    throw new LacosmicError(`satlevel must be a number (got ${String(o.satlevel)})`);
  }
  const sigclip = f32(finite("sigclip", o.sigclip));
  const sigfrac = f32(finite("sigfrac", o.sigfrac));
  return {
    sigclip,
    // Astro-SCRAPPY: `cdef float sigcliplow = sigfrac * sigclip`, a float32 product.
    sigcliplow: f32(sigfrac * sigclip),
    objlim: f32(finite("objlim", o.objlim)),
    gain: f32(positive("gain", o.gain)),
    readnoise: f32(o.readnoise),
    satlevel: f32(o.satlevel),
    niter: o.niter,
    sepmed: Boolean(o.sepmed),
    cleantype: oneOf("cleantype", o.cleantype, CLEANTYPES),
    fsmode: oneOf("fsmode", o.fsmode, FSMODES),
    psfmodel: oneOf("psfmodel", o.psfmodel, PSFMODELS),
    psffwhm: f32(positive("psffwhm", o.psffwhm)),
    psfsize,
    psfk: o.psfk === undefined ? undefined : checkKernel(o.psfk),
    psfbeta: f32(positive("psfbeta", o.psfbeta)),
    verbose: Boolean(o.verbose),
  };
}
