// Real frames for the benchmark, read from FITS: the image (its data section only), and the detector values the
// recipe and LACosmic need (gain e⁻/ADU, read noise e⁻, saturation ADU), each from the first of: an explicit value,
// the header, known values for a frame we ship a test of, a stated fallback.
import { type FitsHeader, readFits, readImage } from "../data/fits.ts";
import { headerNumber } from "../data/dataset/build.ts";
import type { RealFrame } from "./real.ts";

/** Bad input named by file. */
export class FrameError extends Error {
  override name = "FrameError";
  constructor(readonly path: string, why: string) {
    super(`${path}: ${why}`);
  }
}

/**
 * Detector values of frames without GAIN/RDNOISE cards, by sha256 of the file. ../shared/data/gmos.fits: the values
 * Astro-SCRAPPY's own tests use for this frame (gain 1.933 e⁻/ADU, read noise 4.24 e⁻).
 */
const KNOWN: Readonly<Record<string, { gain: number; readnoise: number; source: string }>> = {
  f682cbbc9ec55a61c2816ca10d58c4737e532aa67774047e6b889b03db38aae9: { gain: 1.933, readnoise: 4.24, source: "the value Astro-SCRAPPY's tests use for this frame" },
};

export interface FrameOptions {
  hdu?: number | string;
  gain?: number;
  readnoise?: number;
  saturation?: number;
  /** sha256 of the file, to look up KNOWN values. */
  sha256?: string;
}

/** "[x1:x2,y1:y2]" (FITS, 1-based, inclusive) → 0-based [x0, x1) × [y0, y1), or null if absent or malformed. */
export function parseSection(text: string | undefined, width: number, height: number) {
  const m = text ? /^\s*\[\s*(\d+)\s*:\s*(\d+)\s*,\s*(\d+)\s*:\s*(\d+)\s*\]\s*$/.exec(text) : null;
  if (!m) return null;
  const [x1, x2, y1, y2] = m.slice(1).map(Number);
  if (!(x1 >= 1 && x1 <= x2 && x2 <= width && y1 >= 1 && y1 <= y2 && y2 <= height)) return null;
  return { x0: x1 - 1, x1: x2, y0: y1 - 1, y1: y2 };
}

/** Largest value an integer BITPIX can store after BZERO/BSCALE: where an ADC or a scaled file saturates. */
function integerCeiling(header: FitsHeader): number | undefined {
  const bitpix = header.number("BITPIX");
  if (bitpix === undefined || bitpix <= 0) return undefined;
  const max = bitpix === 8 ? 255 : 2 ** (bitpix - 1) - 1;
  return (header.number("BZERO") ?? 0) + (header.number("BSCALE") ?? 1) * max;
}

export async function readRealFrame(bytes: Uint8Array, path: string, opts: FrameOptions = {}): Promise<RealFrame> {
  const name = (path.split(/[\\/]/).pop() ?? path).replace(/\.fits(\.gz)?$/i, "");
  const file = await readFits(bytes, path);
  const img = await readImage(file, opts.hdu);
  const headers = [img.header, file.hdus[0].header];
  const notes: string[] = [];
  if (img.extname) notes.push(`HDU ${img.hdu} '${img.extname}'`);

  let data = Float32Array.from(img.data);
  let { width, height } = img;
  const secKey = ["DATASEC", "TRIMSEC"].find((k) => headers.some((h) => h.string(k)));
  const secText = secKey ? headers.map((h) => h.string(secKey)).find((s) => s) : undefined;
  const sec = parseSection(secText, width, height);
  if (sec && (sec.x1 - sec.x0 < width || sec.y1 - sec.y0 < height)) {
    const w = sec.x1 - sec.x0, h = sec.y1 - sec.y0;
    const out = new Float32Array(w * h);
    for (let y = 0; y < h; y++) out.set(data.subarray((sec.y0 + y) * width + sec.x0, (sec.y0 + y) * width + sec.x1), y * w);
    notes.push(`cropped to ${secKey} ${secText!.trim()} (${w}×${h} of ${width}×${height}: overscan left out)`);
    data = out, width = w, height = h;
  }
  if (width < 16 || height < 16) throw new FrameError(path, `image is ${width}×${height}: too small to measure on`);
  let finite = 0;
  for (const v of data) if (Number.isFinite(v)) finite++;
  if (finite === 0) throw new FrameError(path, "every pixel is NaN or infinite");

  const cardNumber = (keys: string[]) => {
    const v = headerNumber(headers, keys);
    return v !== undefined && Number.isFinite(v) ? v : undefined;
  };
  const known = opts.sha256 ? KNOWN[opts.sha256] : undefined;
  const pick = (flag: number | undefined, keys: string[], knownValue: number | undefined, fallback: number, what: string) => {
    if (flag !== undefined) return flag;
    const h = cardNumber(keys);
    if (h !== undefined && h > 0) return h;
    if (knownValue !== undefined) {
      notes.push(`${what} ${knownValue}: ${known!.source}`);
      return knownValue;
    }
    notes.push(`no ${keys[0]} card: ${what} ${fallback} assumed (Astro-SCRAPPY's default; give --${what})`);
    return fallback;
  };
  const gain = pick(opts.gain, ["GAIN", "EGAIN"], known?.gain, 1, "gain");
  const readnoise = pick(opts.readnoise, ["RDNOISE", "READNOIS", "RON"], known?.readnoise, 6.5, "readnoise");
  let saturation = opts.saturation ?? cardNumber(["SATURATE", "SATLEVEL"]);
  if (saturation === undefined) {
    saturation = integerCeiling(img.header);
    if (saturation !== undefined) notes.push(`saturation ${saturation} ADU: the integer format's ceiling`);
  }
  return { name, data, width, height, gain, readnoise, saturation: saturation ?? Infinity, notes };
}
