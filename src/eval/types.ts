// The types of an evaluation: its input (ChunkSource, which Dataset satisfies), options, and its JSON result.
import type { Cutout } from "./cutouts.ts";
import type { Confusion, PlotCurve, ThresholdMetrics } from "./metrics.ts";
import type { Method } from "./methods.ts";

export type Split = "train" | "val" | "test";

export type ChunkInfoLike = Readonly<Record<string, string | number | undefined>>;

/** One test chunk: patch × patch pixels in ADU (sky included), its CR mask and optional ignore mask (1 = leave out). */
export interface EvalChunk {
  image: Float32Array;
  mask: Uint8Array;
  ignore: Uint8Array | null;
  info: ChunkInfoLike;
}

/** What evaluate needs from a dataset; `Dataset` (src/data/dataset.ts) satisfies it. */
export interface ChunkSource {
  readonly patch: number;
  chunks(split: Split): AsyncIterable<EvalChunk>;
  /** Chunk count, for progress (optional). */
  size?(split: Split): number;
  /** The dataset's manifest: `source` may give gain / readnoise / saturate for LACosmic. */
  readonly manifest?: { readonly source?: unknown };
}

export interface EvalProgress {
  method: string;
  /** 0-based index of the method, and how many there are. */
  index: number;
  methods: number;
  done: number;
  total: number | null;
}

export interface EvalOptions {
  split?: Split;
  /** Chunk-info keys to break results down by; default ["band", "telescope"]. */
  subsets?: readonly string[];
  /** Threshold of the threshold metrics (score > threshold); default 0.5. */
  threshold?: number;
  /** Cutouts kept for the report (default 4) and their side (default 64 px). */
  cutouts?: number;
  cutoutSize?: number;
  /** Most points of each plotted curve (default 1000; the numbers always use the exact curve). */
  plotPoints?: number;
  onProgress?: (p: EvalProgress) => void;
}

/** A LACosmic operating point. */
export interface SweepPoint extends Confusion {
  sigclip: number;
  tpr: number | null;
  fpr: number | null;
  precision: number | null;
}

export interface SubsetMetrics {
  /** TPR at FPR 1e-4 (0.01%) and 1e-3 (0.1%); precision at TPR 0.95. See metrics.ts for the rules. */
  tprAtFpr1e4: number | null;
  tprAtFpr1e3: number | null;
  precisionAtTpr95: number | null;
  atThreshold: ThresholdMetrics;
  /** Points of the exact curve (models) or sweep runs (LACosmic) the numbers came from. */
  curvePoints: number;
  /** Thinned for plotting: x = FPR, y = TPR / x = recall, y = precision. */
  roc: PlotCurve;
  pr: PlotCurve;
  sweep?: SweepPoint[];
}

export interface MethodResult {
  name: string;
  kind: Method["kind"];
  dilate: boolean;
  details: Record<string, string | number | boolean>;
  seconds: number;
  /** Subset name ("all", "band=g", …) → metrics. */
  subsets: Record<string, SubsetMetrics>;
}

export interface SubsetInfo {
  name: string;
  chunks: number;
  /** Pixels counted (not ignored), CR pixels among them, and pixels left out by the ignore mask. */
  pixels: number;
  positives: number;
  ignored: number;
}

export interface EvalResult {
  format: "crgpu-eval";
  version: 1;
  split: Split;
  patch: number;
  threshold: number;
  subsetKeys: string[];
  subsets: SubsetInfo[];
  methods: MethodResult[];
  cutouts: Cutout[];
  notes: string[];
}
