// Reading FITS images: `readFits` lists the HDUs, `readImage` decodes one 2-D image (or one plane of a cube) to
// floats with BZERO/BSCALE/BLANK applied. Gzipped files (.fits.gz, as archives serve them) are inflated first.
import { FitsError } from "./errors.ts";
import type { FitsHeader } from "./header.ts";
import { decodePixels } from "./pixels.ts";
import { describeHdus, type FitsHdu, scanHdus } from "./structure.ts";

export interface FitsFile {
  fileName: string;
  /** The whole (inflated) file; HDU data is decoded from it on demand. */
  bytes: Uint8Array;
  hdus: FitsHdu[];
}

export interface ReadImageOptions {
  /** For NAXIS > 2: which 2-D plane, counting over NAXIS3 · NAXIS4 · … (0-based). */
  plane?: number;
  /** Return Float64Array (exact for BITPIX 32/64/−64 and large BZERO) instead of Float32Array. */
  float64?: boolean;
}

export interface FitsImage<T extends Float32Array | Float64Array = Float32Array | Float64Array> {
  /** Row-major, width × height; row 0 is the first row stored (FITS y = 1). Missing pixels are NaN. */
  data: T;
  width: number;
  height: number;
  header: FitsHeader;
  /** Index of the HDU read, and its EXTNAME. */
  hdu: number;
  extname: string | null;
}

async function gunzip(bytes: Uint8Array, fileName: string): Promise<Uint8Array> {
  try {
    // slice(): a Blob part must be backed by a plain ArrayBuffer, which a view of shared memory is not.
    const stream = new Blob([bytes.slice()]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (e) {
    throw new FitsError(fileName, `gzip-compressed but cannot be inflated (${e instanceof Error ? e.message : e})`);
  }
}

/** Parses the HDU list of a FITS file (all headers; no pixel data is decoded yet). */
export async function readFits(bytes: Uint8Array, fileName: string): Promise<FitsFile> {
  const raw = bytes[0] === 0x1f && bytes[1] === 0x8b ? await gunzip(bytes, fileName) : bytes;
  return { fileName, bytes: raw, hdus: scanHdus(raw, fileName) };
}

function chooseHdu(file: FitsFile, which: number | string | undefined): FitsHdu {
  const available = `available: ${describeHdus(file.hdus)}`;
  if (which === undefined) {
    const hdu = file.hdus.find((h) => h.isImage && h.naxis.length >= 2);
    if (!hdu) throw new FitsError(file.fileName, `no HDU holds a 2-D image (${available})`);
    return hdu;
  }
  if (typeof which === "number") {
    const hdu = file.hdus[which];
    if (!Number.isInteger(which) || !hdu) throw new FitsError(file.fileName, `no HDU ${which} (${available})`);
    return hdu;
  }
  const name = which.trim().toUpperCase();
  const hdu = file.hdus.find((h) => (h.extname ?? "").toUpperCase() === name) ??
    (name === "PRIMARY" ? file.hdus[0] : undefined);
  if (!hdu) throw new FitsError(file.fileName, `no HDU named '${which}' (${available})`);
  return hdu;
}

function checkImage(file: FitsFile, hdu: FitsHdu, plane: number | undefined): number {
  const label = `HDU ${hdu.index}${hdu.extname === null ? "" : ` '${hdu.extname}'`}`;
  const fail = (problem: string) => new FitsError(file.fileName, `${label} ${problem}`);
  if (hdu.header.get("ZIMAGE") === true) {
    throw fail("is a tile-compressed image, which is not supported: uncompress it first (e.g. funpack)");
  }
  if (!hdu.isImage) {
    throw fail(hdu.naxis.length === 0 || hdu.naxis.includes(0) ? "has no data" : `is a ${hdu.type}, not an image`);
  }
  if (hdu.truncated) {
    const end = hdu.dataOffset + hdu.dataLength;
    const size = file.bytes.length;
    throw fail(`is truncated: its data needs bytes ${hdu.dataOffset}–${end} but the file ends at byte ${size}`);
  }
  if (hdu.naxis.length === 1) throw fail(`holds 1-D data (NAXIS1 = ${hdu.naxis[0]}), not a 2-D image`);
  const planes = hdu.naxis.slice(2).reduce((a, b) => a * b, 1);
  const shape = hdu.naxis.join(" × ");
  if (plane === undefined) {
    if (planes === 1) return 0;
    throw fail(`is a ${hdu.naxis.length}-D cube (${shape}): choose a 2-D plane with { plane: 0 … ${planes - 1} }`);
  }
  if (!Number.isInteger(plane) || plane < 0 || plane >= planes) {
    throw fail(`has ${planes} plane(s) (${shape}): plane ${plane} does not exist`);
  }
  return plane;
}

/**
 * Decodes a 2-D image. `hdu`: an index, or an EXTNAME (case-insensitive; 'PRIMARY' names HDU 0); by default the
 * first HDU holding a 2-D image, so a primary HDU with NAXIS = 0 (GMOS, HST, …) is skipped for its 'SCI' extension.
 */
export function readImage(
  file: FitsFile,
  hdu?: number | string,
  options?: ReadImageOptions & { float64?: false },
): Promise<FitsImage<Float32Array>>;
export function readImage(
  file: FitsFile,
  hdu: number | string | undefined,
  options: ReadImageOptions & { float64: true },
): Promise<FitsImage<Float64Array>>;
export function readImage(file: FitsFile, hdu?: number | string, options?: ReadImageOptions): Promise<FitsImage>;
export function readImage(file: FitsFile, hdu?: number | string, options: ReadImageOptions = {}): Promise<FitsImage> {
  // Promise-returning so that reading can move off the main thread later without changing callers.
  return Promise.resolve().then(() => {
    const chosen = chooseHdu(file, hdu);
    const plane = checkImage(file, chosen, options.plane);
    const [width, height] = chosen.naxis;
    const n = width * height;
    const data = options.float64 ? new Float64Array(n) : new Float32Array(n);
    const header = chosen.header;
    const scaling = {
      bzero: header.number("BZERO") ?? 0,
      bscale: header.number("BSCALE") ?? 1,
      blank: chosen.bitpix > 0 ? header.number("BLANK") : undefined,
    };
    const offset = chosen.dataOffset + plane * n * (Math.abs(chosen.bitpix) / 8);
    decodePixels(file.bytes, offset, chosen.bitpix, scaling, data);
    return { data, width, height, header, hdu: chosen.index, extname: chosen.extname };
  });
}
