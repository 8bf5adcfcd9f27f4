// The published CR checkpoints we know, identified by their sha256 so that a renamed copy is still recognised, with
// what running them properly takes: the input normalisation their authors' code applies, and whether their training
// masks were 3×3-dilated (the paper's recipe) or not (then evaluations dilate their predictions, as the paper does).
// Nothing third-party is in the repository: `file` is where ../shared/models keeps each one.

export interface PublishedModel {
  /** Name used in reports and, later, on the command line (`paper:att-cosmic-conn`). */
  name: string;
  /** Path under a models folder laid out like ../shared/models. */
  file: string;
  sha256: string;
  authors: string;
  licence: string;
  instrument: string;
  /** What their own inference does to the pixels: "none" (raw ADU with sky) or "median" (median subtracted). */
  normalize: "none" | "median";
  /** Trained on 3×3-dilated CR masks. */
  dilatedMasks: boolean;
  /** Why we cannot run it yet; absent when we can. */
  unsupported?: string;
}

const PAPER = "Bhavanam et al. 2022";
const COSMIC_CONN = "Cosmic-CoNN v0.2.8 (Xu et al. 2021)";
const DEEPCR = "deepCR (Zhang & Bloom 2020)";
const LEGACY = "PyTorch's legacy (pre-1.6) serialisation is not read yet";

export const PUBLISHED: readonly PublishedModel[] = [
  {
    name: "paper:deepcr",
    file: "paper/deepcr.pth",
    sha256: "103bb140469d664b03b9209e8c0c413c808128f6a0c149155a53a3d1420d2a48",
    authors: PAPER,
    licence: "not stated",
    instrument: "DECam",
    normalize: "none",
    dilatedMasks: true,
  },
  {
    name: "paper:att-deepcr",
    file: "paper/att_deepcr.pth",
    sha256: "1f58e1181b7e2f95c2834dbf0d021a558b4f8a70d74f7d97b56f9a4cdb5eff8b",
    authors: PAPER,
    licence: "not stated",
    instrument: "DECam",
    normalize: "none",
    dilatedMasks: true,
  },
  {
    name: "paper:cosmic-conn",
    file: "paper/cosmic_conn.pth",
    sha256: "49bee3a03f23b3be7c9758782de1ab72afda773d1869dde49e569b4f89d82bca",
    authors: PAPER,
    licence: "not stated",
    instrument: "DECam",
    normalize: "none",
    dilatedMasks: true,
  },
  {
    name: "paper:att-cosmic-conn",
    file: "paper/att_cosmic_conn.pth",
    sha256: "63d5abaa18b496628922555c50ca31dfaf59414672f53e4523bc08ee63ed7375",
    authors: PAPER,
    licence: "not stated",
    instrument: "DECam",
    normalize: "none",
    dilatedMasks: true,
  },
  {
    name: "cosmic-conn:ground-imaging",
    file: "cosmic-conn/ground_imaging.pth",
    sha256: "f8c4ea75dc9b212b8786a95d583dd9cd0b8ec95a53fd3d4cfbfe40c4c0cf267b",
    authors: COSMIC_CONN,
    licence: "GPL-3.0",
    instrument: "LCO imagers (0.4 m, 1 m, 2 m)",
    normalize: "median",
    dilatedMasks: false,
  },
  {
    name: "cosmic-conn:nres",
    file: "cosmic-conn/NRES.pth",
    sha256: "2f676afb81286c0810facf81236e3ef1651a04a2142d6443388ec76313a8a5be",
    authors: COSMIC_CONN,
    licence: "GPL-3.0",
    instrument: "LCO NRES spectrograph",
    normalize: "median",
    dilatedMasks: false,
  },
  {
    name: "cosmic-conn:hst-acs-wfc",
    file: "cosmic-conn/HST_ACS_WFC.pth",
    sha256: "e4bcde26104c9c93548c6d68f2d455e5b9b6af985d62b15cb0157c54bcf4eb00",
    authors: COSMIC_CONN,
    licence: "GPL-3.0",
    instrument: "HST ACS/WFC",
    normalize: "median",
    dilatedMasks: false,
  },
  {
    name: "deepcr:decam",
    file: "deepcr/decam.pth",
    sha256: "686de2afab28d13b2bff3c418ecf017d0b290ca5e8c811ef71f673ce12230815",
    authors: DEEPCR,
    licence: "BSD-3-Clause",
    instrument: "DECam",
    normalize: "none",
    dilatedMasks: false,
    unsupported: `depth-2 UNet; ${LEGACY}`,
  },
  {
    name: "deepcr:acs-wfc",
    file: "deepcr/ACS-WFC.pth",
    sha256: "0075cef7a8b72f3ecf449cac3793d3446720a97fc0ba812fb29863a9be1e7ace",
    authors: DEEPCR,
    licence: "BSD-3-Clause",
    instrument: "HST ACS/WFC",
    normalize: "none",
    dilatedMasks: false,
    unsupported: `depth-2 UNet; ${LEGACY}`,
  },
  {
    name: "deepcr:wfc3-uvis",
    file: "deepcr/WFC3-UVIS.pth",
    sha256: "92ad8d3231a0427c6fa6d9b39501549edc15fd1eb1162e028e2cf1711b2f59cd",
    authors: DEEPCR,
    licence: "BSD-3-Clause",
    instrument: "HST WFC3/UVIS",
    normalize: "none",
    dilatedMasks: false,
    unsupported: "depth-2 UNet with weight-normalised convs, not built yet",
  },
];

/** Lower-case hex sha256 of some bytes (Web Crypto: Deno and browsers alike). */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function publishedBySha(sha256: string): PublishedModel | undefined {
  return PUBLISHED.find((m) => m.sha256 === sha256);
}
