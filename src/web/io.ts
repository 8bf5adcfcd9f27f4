// Input and output of the detection page: which HDUs hold images, which checkpoints the server offers, fetching,
// telling a checkpoint from a FITS file, and the mask as a FITS file with cards saying how it was made.
import { type FitsCard, type FitsFile, type FitsImage, type Normalize, type VariantName, writeFits } from "../browser.ts";

/** Checkpoints the page offers when the server has them (deno task serve maps ../shared to /shared/). */
export const KNOWN_MODELS: { url: string; label: string }[] = [
  { url: "../models/default.safetensors", label: "crgpu default (models/default.safetensors)" },
  { url: "../shared/models/cosmic-conn/ground_imaging.pth", label: "Cosmic-CoNN ground imaging (LCO)" },
  { url: "../shared/models/paper/deepcr.pth", label: "paper: deepCR (DECam)" },
  { url: "../shared/models/paper/att_deepcr.pth", label: "paper: Att deepCR (DECam)" },
  { url: "../shared/models/paper/cosmic_conn.pth", label: "paper: Cosmic-CoNN (DECam)" },
  { url: "../shared/models/paper/att_cosmic_conn.pth", label: "paper: Att Cosmic-CoNN (DECam)" },
];

export interface ModelSource {
  /** File name (goes into the mask's header). */
  name: string;
  /** Shown in the model list. */
  label: string;
  /** Fetched on first use for URLs; given for dropped files. */
  url?: string;
  bytes?: Uint8Array;
}

export const fileName = (url: string) => decodeURIComponent(new URL(url).pathname.split("/").pop() ?? url);

const PIXEL_TYPE: Record<number, string> = {
  8: "uint8",
  16: "int16",
  32: "int32",
  64: "int64",
  [-32]: "float32",
  [-64]: "float64",
};

/** Every 2-D image, and every plane of a cube (up to 64), as select options "hdu:plane". */
export function imageChoices(file: FitsFile): { label: string; value: string }[] {
  const out: { label: string; value: string }[] = [];
  for (const h of file.hdus) {
    if (!h.isImage || h.naxis.length < 2 || h.truncated) continue;
    const name = `${h.index}${h.extname ? ` ${h.extname}` : ""}`;
    const shape = `${h.naxis[0]}×${h.naxis[1]} · ${PIXEL_TYPE[h.bitpix] ?? `BITPIX ${h.bitpix}`}`;
    const planes = h.naxis.slice(2).reduce((a, b) => a * b, 1);
    if (planes === 1) out.push({ label: `${name} · ${shape}`, value: `${h.index}:0` });
    for (let p = 0; p < Math.min(planes, 64) && planes > 1; p++) {
      out.push({ label: `${name} plane ${p} · ${shape}`, value: `${h.index}:${p}` });
    }
  }
  return out;
}

export async function fetchBytes(url: string, what: string): Promise<Uint8Array> {
  let r: Response;
  try {
    r = await fetch(url);
  } catch (e) {
    throw new Error(`cannot fetch ${what} ${url}: ${(e as Error).message}`);
  }
  if (!r.ok) throw new Error(`cannot fetch ${what} ${url}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

export function looksLikeCheckpoint(b: Uint8Array): boolean {
  return (b[0] === 0x50 && b[1] === 0x4b) || (b.length > 8 && b[8] === 0x7b); // zip (.pth) or safetensors
}

export function isCheckpointName(name: string): boolean {
  return /\.(pth|pt|safetensors)$/i.test(name);
}

/** How a mask was made, for its header. */
export interface MaskInfo {
  width: number;
  height: number;
  modelName: string;
  variant: VariantName;
  normalize: Normalize;
  tiles: number;
  /** "file HDU n 'EXTNAME'". */
  source: string;
}

/** FITS headers hold printable ASCII only. */
const ascii = (s: string) => s.replace(/[^\x20-\x7e]/g, "?");
/** Keys describing the input's pixel values, wrong on a mask. */
const VALUE_KEYS = new Set(["BUNIT", "SATURATE", "SATLEVEL"]);

export function maskFits(image: FitsImage, r: MaskInfo, mask: Uint8Array, t: number): Uint8Array {
  const flagged = mask.reduce((a, b) => a + b, 0);
  const header: FitsCard[] = [
    ...image.header.cards.filter((c) => !VALUE_KEYS.has(c.key)),
    { key: "CRMODEL", value: ascii(r.modelName).slice(0, 68), comment: "cosmic-ray model" },
    { key: "CRVARIAN", value: r.variant, comment: "UNet variant" },
    { key: "CRNORM", value: r.normalize, comment: "input normalisation" },
    { key: "CRTHRESH", value: t, comment: "1 where CR probability > CRTHRESH" },
    { key: "CRCOUNT", value: flagged, comment: "pixels flagged" },
  ];
  const history = [
    `crgpu detection page: ${r.source}`,
    `model ${r.modelName} (${r.variant}), normalize ${r.normalize}, ${r.tiles} tile(s)`,
    `pixel values: 1 = cosmic ray (probability > ${t}), 0 = not`,
  ].map(ascii);
  return writeFits([{ data: mask, width: r.width, height: r.height, header, history }]);
}
