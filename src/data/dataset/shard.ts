// One shard file: FITS with an empty primary HDU (cards saying what it is) and image extensions IMAGE (float32
// cube n × patch × patch: NAXIS1 = NAXIS2 = patch, NAXIS3 = n), MASK (uint8 cube), IGNORE (uint8 cube, optional)
// and SKY (float32 vector of n). src/data/fits writes only 2-D images, so cubes are written here from its card
// formatter and pixel encoder; they are read back with its HDU scanner.
import { formatCard } from "../fits/cards.ts";
import { FitsError } from "../fits/errors.ts";
import type { FitsCard, FitsValue } from "../fits/header.ts";
import { decodePixels, encodePixels } from "../fits/pixels.ts";
import { readFits } from "../fits/read.ts";
import { BLOCK, CARD, describeHdus, type FitsHdu } from "../fits/structure.ts";
import { DatasetError } from "./errors.ts";
import { FORMAT, VERSION } from "./manifest.ts";

export interface ShardData {
  patch: number;
  n: number;
  /** n × patch × patch, ADU. */
  images: Float32Array;
  /** n × patch × patch, 0/1. */
  masks: Uint8Array;
  ignore: Uint8Array | null;
  /** n sky levels, ADU. */
  sky: Float32Array;
}

const padded = (n: number) => Math.ceil(n / BLOCK) * BLOCK;

function hdu(cards: FitsCard[], data: Uint8Array | null): Uint8Array {
  const text = [...cards.flatMap(formatCard), "END".padEnd(CARD)].join("");
  const head = padded(text.length), body = data ? padded(data.length) : 0;
  const out = new Uint8Array(head + body); // zero-filled: data padding in place
  for (let i = 0; i < head; i++) out[i] = i < text.length ? text.charCodeAt(i) : 0x20;
  if (data) out.set(data, head);
  return out;
}

const card = (key: string, value: FitsValue, comment = ""): FitsCard => ({ key, value, comment });

function extension(name: string, bitpix: 8 | -32, axes: number[], data: Uint8Array, comment: string): Uint8Array {
  return hdu([
    card("XTENSION", "IMAGE", "image extension"),
    card("BITPIX", bitpix, "array data type"),
    card("NAXIS", axes.length, "number of array dimensions"),
    ...axes.map((a, i) => card(`NAXIS${i + 1}`, a)),
    card("PCOUNT", 0),
    card("GCOUNT", 1),
    card("EXTNAME", name, "extension name"),
    card("COMMENT", comment),
  ], data);
}

function floatBytes(values: Float32Array): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  encodePixels(values, 0, -32, out, 0);
  return out;
}

/** Encodes a shard as FITS bytes. `cards` go into the primary header (split, index, …). */
export function encodeShard(s: ShardData, cards: FitsCard[] = []): Uint8Array {
  const { patch, n } = s;
  const px = n * patch * patch;
  if (s.images.length !== px || s.masks.length !== px || (s.ignore && s.ignore.length !== px) || s.sky.length !== n) {
    throw new DatasetError("encodeShard", `arrays do not hold ${n} chunks of ${patch}×${patch}`);
  }
  const cube = [patch, patch, n];
  const parts = [
    hdu([
      card("SIMPLE", true, "conforms to FITS standard"),
      card("BITPIX", 8, "array data type"),
      card("NAXIS", 0, "no data in the primary HDU"),
      card("EXTEND", true),
      card("CONTENT", "crgpu dataset shard", "chunks for CR detection"),
      card("FORMAT", FORMAT),
      card("FMTVERS", VERSION, "dataset format version"),
      card("PATCH", patch, "chunk side, pixels"),
      card("NCHUNK", n, "chunks in this shard"),
      ...cards,
      card("COMMENT", "IMAGE: float32 cube (ADU, sky included): science frame with injected cosmic rays"),
      card("COMMENT", "MASK: uint8 cube, 1 = cosmic ray (3x3-dilated); IGNORE: uint8 cube, 1 = leave out"),
      card("COMMENT", "SKY: float32 vector, each chunk's sky level (ADU); dataset.json lists the chunks"),
    ], null),
    extension("IMAGE", -32, cube, floatBytes(s.images), "science + injected cosmic rays, ADU"),
    extension("MASK", 8, cube, s.masks, "1 = cosmic-ray pixel"),
    ...(s.ignore ? [extension("IGNORE", 8, cube, s.ignore, "1 = saturated / bad / non-finite: not scored")] : []),
    extension("SKY", -32, [n], floatBytes(s.sky), "sky level per chunk, ADU"),
  ];
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) out.set(p, at), (at += p.length);
  return out;
}

/** Decodes a shard, checking it holds `n` chunks of patch × patch as the manifest says. */
export async function decodeShard(bytes: Uint8Array, file: string, patch: number, n: number): Promise<ShardData> {
  const fail = (problem: string): never => {
    throw new DatasetError(file, problem);
  };
  let hdus: FitsHdu[];
  let raw: Uint8Array;
  try {
    const f = await readFits(bytes, file);
    (hdus = f.hdus), (raw = f.bytes);
  } catch (e) {
    if (e instanceof FitsError) fail(`not a readable shard: ${e.problem}`);
    throw e;
  }
  const find = (name: string, bitpix: 8 | -32, axes: number[], optional = false): FitsHdu | null => {
    const h = hdus.find((x) => x.extname === name);
    if (!h) {
      if (optional) return null;
      fail(`no ${name} extension (it has: ${describeHdus(hdus)})`);
    }
    const hh = h as FitsHdu;
    if (hh.bitpix !== bitpix) fail(`${name} has BITPIX ${hh.bitpix}, expected ${bitpix}`);
    if (hh.naxis.join("×") !== axes.join("×")) {
      fail(`${name} is ${hh.naxis.join("×") || "empty"}, expected ${axes.join("×")} (dataset.json: ${n} chunks)`);
    }
    if (hh.truncated) {
      fail(`is truncated: ${name} needs bytes up to ${hh.dataOffset + hh.dataLength}, file has ${raw.length}`);
    }
    if ((hh.header.number("BZERO") ?? 0) !== 0 || (hh.header.number("BSCALE") ?? 1) !== 1) {
      fail(`${name} is scaled (BZERO/BSCALE), which shards never are`);
    }
    return hh;
  };
  const cube = [patch, patch, n];
  const img = find("IMAGE", -32, cube)!, msk = find("MASK", 8, cube)!, ign = find("IGNORE", 8, cube, true);
  const sk = find("SKY", -32, [n])!;
  const px = n * patch * patch;
  const images = new Float32Array(px);
  decodePixels(raw, img.dataOffset, -32, { bzero: 0, bscale: 1 }, images);
  const sky = new Float32Array(n);
  decodePixels(raw, sk.dataOffset, -32, { bzero: 0, bscale: 1 }, sky);
  const masks = raw.slice(msk.dataOffset, msk.dataOffset + px);
  const ignore = ign ? raw.slice(ign.dataOffset, ign.dataOffset + px) : null;
  return { patch, n, images, masks, ignore, sky };
}
