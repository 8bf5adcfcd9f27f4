// Splits a FITS file into HDUs: each is a header of 80-character cards ending with END, padded to 2880-byte blocks,
// then a data unit of |BITPIX|/8 · GCOUNT · (PCOUNT + NAXIS1 · … · NAXISn) bytes, padded likewise. Every size is
// checked against the file's length, so a truncated or damaged file gives an error instead of a hang or a crash.
import { FitsError } from "./errors.ts";
import { FitsHeader, parseCards } from "./header.ts";
import { type Bitpix, BITPIX_VALUES } from "./pixels.ts";

export const BLOCK = 2880;
export const CARD = 80;

export interface FitsHdu {
  index: number;
  /** "PRIMARY" for HDU 0, else the XTENSION value ("IMAGE", "BINTABLE", "TABLE", …). */
  type: string;
  extname: string | null;
  extver: number | null;
  bitpix: Bitpix;
  /** [NAXIS1, NAXIS2, …]: NAXIS1 is the width (fastest-varying axis). */
  naxis: number[];
  /** A primary or IMAGE HDU holding pixels (NAXIS ≥ 1, no axis of length 0). */
  isImage: boolean;
  header: FitsHeader;
  /** Where the data unit starts, and its length without padding. */
  dataOffset: number;
  dataLength: number;
  /** The file ends before this HDU's data does. */
  truncated: boolean;
}

function ascii(bytes: Uint8Array, start: number, length: number): string {
  let s = "";
  for (let i = start; i < start + length && i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
  return s;
}

/** A header card holds printable text; a control byte means we are looking at data (or at a damaged file). */
function isTextCard(bytes: Uint8Array, start: number): boolean {
  for (let i = start; i < start + CARD; i++) if (bytes[i] < 0x20 || bytes[i] === 0x7f) return false;
  return true;
}

function notFitsProblem(bytes: Uint8Array): string {
  if (bytes.length === 0) return "not a FITS file: the file is empty";
  const start = JSON.stringify(ascii(bytes, 0, 16).replace(/[^\x20-\x7e]/g, "?"));
  return `not a FITS file: it does not start with a SIMPLE card (it starts with ${start})`;
}

/** Reads the header cards of the HDU starting at `offset`; returns them and where the data unit begins. */
function readHeaderLines(bytes: Uint8Array, offset: number, fileName: string, index: number) {
  const lines: string[] = [];
  for (let pos = offset;; pos += CARD) {
    if (pos + CARD > bytes.length) {
      const problem = (bytes.length - offset) % BLOCK !== 0
        ? `is truncated: the file ends at byte ${bytes.length}, before the END card`
        : `has no END card (the file ends after ${(bytes.length - offset) / BLOCK} header block(s))`;
      throw new FitsError(fileName, `header of HDU ${index} ${problem}`);
    }
    if (!isTextCard(bytes, pos)) {
      throw new FitsError(
        fileName,
        `header of HDU ${index} has no END card: card ${lines.length + 1} (byte ${pos}) is not text`,
      );
    }
    const line = ascii(bytes, pos, CARD);
    if (line.startsWith("END") && line.slice(3).trim() === "") {
      const headerBlocks = Math.ceil((pos + CARD - offset) / BLOCK);
      return { lines, dataOffset: offset + headerBlocks * BLOCK };
    }
    lines.push(line);
  }
}

function integerCard(header: FitsHeader, key: string, fileName: string, index: number, min = 0): number {
  const v = header.get(key);
  if (typeof v !== "number" || !Number.isInteger(v) || v < min) {
    const found = v === undefined ? "is missing" : `is ${JSON.stringify(v)}`;
    throw new FitsError(fileName, `header of HDU ${index}: ${key} ${found}, expected an integer ≥ ${min}`);
  }
  return v;
}

function describeHdu(bytes: Uint8Array, header: FitsHeader, index: number, dataOffset: number, fileName: string) {
  const bitpixValue = header.get("BITPIX");
  const bitpix = BITPIX_VALUES.find((b) => b === bitpixValue);
  if (bitpix === undefined) {
    throw new FitsError(
      fileName,
      `header of HDU ${index}: BITPIX is ${JSON.stringify(bitpixValue ?? null)}, expected one of ${
        BITPIX_VALUES.join(", ")
      }`,
    );
  }
  const naxisCount = integerCard(header, "NAXIS", fileName, index);
  if (naxisCount > 999) throw new FitsError(fileName, `header of HDU ${index}: NAXIS = ${naxisCount} exceeds 999`);
  const naxis: number[] = [];
  for (let i = 1; i <= naxisCount; i++) naxis.push(integerCard(header, `NAXIS${i}`, fileName, index));

  const type = index === 0 ? "PRIMARY" : String(header.get("XTENSION") ?? "").trim().toUpperCase();
  const groups = index === 0 && header.get("GROUPS") === true && naxis[0] === 0; // random groups: NAXIS1 = 0
  const pcount = index === 0 && !groups ? 0 : header.number("PCOUNT") ?? 0;
  const gcount = index === 0 && !groups ? 1 : header.number("GCOUNT") ?? 1;
  const elements = naxisCount === 0 ? 0 : (groups ? naxis.slice(1) : naxis).reduce((a, b) => a * b, 1);
  const dataLength = naxisCount === 0 ? 0 : (Math.abs(bitpix) / 8) * gcount * (pcount + elements);
  const extname = header.string("EXTNAME")?.trim() ?? null;
  const hdu: FitsHdu = {
    index,
    type,
    extname: extname === "" ? null : extname,
    extver: header.number("EXTVER") ?? null,
    bitpix,
    naxis,
    isImage: (type === "PRIMARY" && !groups || type === "IMAGE") && naxisCount > 0 && naxis.every((n) => n > 0),
    header,
    dataOffset,
    dataLength,
    truncated: dataOffset + dataLength > bytes.length,
  };
  return hdu;
}

/** Lists the HDUs of a FITS file. Bytes after the last HDU that do not start an extension are ignored. */
export function scanHdus(bytes: Uint8Array, fileName: string): FitsHdu[] {
  if (ascii(bytes, 0, 9) !== "SIMPLE  =") throw new FitsError(fileName, notFitsProblem(bytes));
  const hdus: FitsHdu[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    if (hdus.length > 0 && ascii(bytes, offset, 9) !== "XTENSION=") break;
    const { lines, dataOffset } = readHeaderLines(bytes, offset, fileName, hdus.length);
    const hdu = describeHdu(bytes, new FitsHeader(parseCards(lines)), hdus.length, dataOffset, fileName);
    hdus.push(hdu);
    if (hdu.truncated) break;
    offset = dataOffset + Math.ceil(hdu.dataLength / BLOCK) * BLOCK;
  }
  return hdus;
}

/** One line per HDU, for error messages: `1 'SCI' IMAGE 200×150 BITPIX -32`. */
export function describeHdus(hdus: readonly FitsHdu[]): string {
  return hdus.map((h) => {
    const name = h.extname === null ? "" : ` '${h.extname}'`;
    const shape = h.naxis.length === 0 ? "no data" : `${h.naxis.join("×")} BITPIX ${h.bitpix}`;
    return `${h.index}${name} ${h.type} ${shape}`;
  }).join("; ");
}
