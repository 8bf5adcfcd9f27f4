// Writing FITS images: the first image becomes the primary HDU, the others IMAGE extensions. Structural keywords are
// always written by us; the other cards of an input header (WCS, OBJECT, DATE-OBS, …) are carried over.
import { formatCard } from "./cards.ts";
import { FitsError } from "./errors.ts";
import { type FitsCard, FitsHeader } from "./header.ts";
import { encodePixels } from "./pixels.ts";
import { BLOCK, CARD } from "./structure.ts";

export type PixelArray = Uint8Array | Int16Array | Uint16Array | Int32Array | Float32Array | Float64Array;
export type WriteBitpix = 8 | 16 | 32 | -32 | -64;

export interface FitsImageInput {
  /** Row-major, width × height, row 0 first. */
  data: PixelArray;
  width: number;
  height: number;
  /** Default from the array type; a Uint16Array is stored as BITPIX 16 with BZERO = 32768 (FITS's unsigned 16-bit). */
  bitpix?: WriteBitpix;
  /** Cards to carry over; structural ones (and EXTNAME, DATAMIN/DATAMAX, checksums) are dropped. */
  header?: FitsHeader | readonly FitsCard[];
  extname?: string;
  history?: readonly string[];
  comments?: readonly string[];
}

/** Keys that describe the data layout or content of the original HDU, so carrying them over would be wrong. */
const DROPPED = new Set(
  ("SIMPLE XTENSION BITPIX NAXIS EXTEND PCOUNT GCOUNT GROUPS BZERO BSCALE BLANK END CHECKSUM DATASUM EXTNAME EXTVER " +
    "INHERIT DATAMIN DATAMAX CONTINUE").split(" "),
);

function carried(header: FitsImageInput["header"]): FitsCard[] {
  const cards = header instanceof FitsHeader ? header.cards : header ?? [];
  return cards.filter((c) => !DROPPED.has(c.key) && !/^NAXIS\d+$/.test(c.key));
}

function defaultBitpix(data: PixelArray): WriteBitpix {
  if (data instanceof Uint8Array) return 8;
  if (data instanceof Int16Array || data instanceof Uint16Array) return 16;
  if (data instanceof Int32Array) return 32;
  if (data instanceof Float64Array) return -64;
  return -32;
}

function headerLines(image: FitsImageInput, index: number, bitpix: WriteBitpix, bzero: number): string[] {
  const cards: FitsCard[] = [];
  const card = (key: string, value: FitsCard["value"], comment = "") => cards.push({ key, value, comment });
  if (index === 0) card("SIMPLE", true, "conforms to FITS standard");
  else card("XTENSION", "IMAGE", "image extension");
  card("BITPIX", bitpix, "array data type");
  card("NAXIS", 2, "number of array dimensions");
  card("NAXIS1", image.width);
  card("NAXIS2", image.height);
  if (index === 0) {
    card("EXTEND", true);
  } else {
    card("PCOUNT", 0);
    card("GCOUNT", 1);
  }
  if (bzero !== 0) {
    card("BZERO", bzero, "offset for unsigned integers");
    card("BSCALE", 1);
  }
  if (image.extname !== undefined) card("EXTNAME", image.extname, "extension name");
  cards.push(...carried(image.header));
  for (const text of image.comments ?? []) card("COMMENT", text);
  for (const text of image.history ?? []) card("HISTORY", text);
  return [...cards.flatMap(formatCard), "END".padEnd(CARD)];
}

const padded = (n: number) => Math.ceil(n / BLOCK) * BLOCK;

/** Encodes images as one FITS file: headers padded with spaces, big-endian data padded with zeros. */
export function writeFits(images: readonly FitsImageInput[]): Uint8Array {
  if (images.length === 0) throw new FitsError("writeFits", "no images to write");
  const units = images.map((image, index) => {
    const { data, width, height } = image;
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
      throw new FitsError("writeFits", `image ${index}: width and height must be positive integers`);
    }
    if (data.length !== width * height) {
      throw new FitsError("writeFits", `image ${index}: ${data.length} pixels for ${width} × ${height}`);
    }
    const bitpix = image.bitpix ?? defaultBitpix(data);
    const bzero = data instanceof Uint16Array && bitpix === 16 ? 32768 : 0;
    return { image, bitpix, bzero, lines: headerLines(image, index, bitpix, bzero) };
  });
  const total = units.reduce((sum, u) => {
    return sum + padded(u.lines.length * CARD) + padded(u.image.data.length * Math.abs(u.bitpix) / 8);
  }, 0);
  const out = new Uint8Array(total); // zero-filled: data padding is already in place
  let offset = 0;
  units.forEach(({ image, bitpix, bzero, lines }, index) => {
    const text = lines.join("").padEnd(padded(lines.length * CARD));
    for (let i = 0; i < text.length; i++) out[offset + i] = text.charCodeAt(i);
    offset += text.length;
    const bad = encodePixels(image.data, bzero, bitpix, out, offset);
    if (bad >= 0) {
      const [x, y] = [bad % image.width, Math.floor(bad / image.width)];
      throw new FitsError(
        "writeFits",
        `image ${index}: pixel (${x}, ${y}) = ${image.data[bad]} cannot be stored with BITPIX ${bitpix}`,
      );
    }
    offset += padded(image.data.length * Math.abs(bitpix) / 8);
  });
  return out;
}
