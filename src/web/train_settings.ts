// The training page's settings: the form's fields, the two presets, and the checks that catch a run that cannot
// start (too few chunks for one batch, no validation chunk, a crop larger than a chunk) before any work is done.
import { valCount } from "../data/dataset/pipeline.ts";
import type { VariantName } from "../nn/modules/unet.ts";
import { DEFAULTS, PRESETS } from "../nn/train/config.ts";

export interface Settings {
  /** Simulated science frames for train + val (no test split: the page does not evaluate). */
  frames: number;
  /** Side of each (square) frame, px. */
  size: number;
  /** Side of the dataset's chunks (the recipe's patch), px. */
  chunk: number;
  seed: number;
  variant: VariantName;
  epochs: number;
  /** Cap on optimizer steps per epoch. */
  steps: number;
  batch: number;
  /** Side of the random training crops, px. */
  patch: number;
  lr: number;
}

/** deno task train's quick preset, resolved over the defaults. */
export const QUICK = { ...DEFAULTS, ...PRESETS.quick.config };
/** Form defaults: the quick preset's training; data small enough to simulate in seconds (4 frames, one per band). */
export const DEFAULT_SETTINGS: Settings = {
  frames: 4,
  size: 1024,
  chunk: 128,
  seed: QUICK.seed,
  variant: QUICK.variant,
  epochs: QUICK.epochs,
  steps: QUICK.stepsPerEpoch ?? 16,
  batch: QUICK.batch,
  patch: QUICK.patch,
  lr: QUICK.lr,
};

/** For CPU adapters (SwiftShader, llvmpipe): about a minute; the headless test runs this. */
export const TINY_SETTINGS: Settings = {
  ...DEFAULT_SETTINGS,
  frames: 1,
  size: 256,
  chunk: 64,
  variant: "cosmic-conn",
  epochs: 2,
  steps: 4,
  batch: 2,
  patch: 32,
};

/** The form's numeric fields (input ids = query parameters). */
export const NUMBERS = ["frames", "size", "chunk", "seed", "epochs", "steps", "batch", "patch", "lr"] as const;

export function chunkPlan(s: Settings): { chunks: number; val: number; train: number } {
  const chunks = s.frames * Math.floor(s.size / s.chunk) ** 2;
  const val = valCount(chunks, 0.01); // the pipeline's 1 % of the train chunks (at least one of two or more)
  return { chunks, val, train: chunks - val };
}

/** Problems the form can catch before minutes of work (the Trainer checks the rest). */
export function checkSettings(s: Settings): string[] {
  const bad: string[] = [];
  for (const k of ["frames", "size", "chunk", "epochs", "steps", "batch", "patch"] as const) {
    if (!Number.isInteger(s[k]) || s[k] < 1) bad.push(`${k} must be a positive integer`);
  }
  if (!Number.isInteger(s.seed) || s.seed < 0) bad.push("seed must be an integer ≥ 0");
  if (!(s.lr > 0)) bad.push("learning rate must be positive");
  if (s.chunk % 4 !== 0) bad.push("chunk side must be a multiple of 4");
  if (s.patch % 4 !== 0) bad.push("crop side must be a multiple of 4");
  if (s.chunk > s.size) bad.push(`chunk side ${s.chunk} exceeds the frame side ${s.size}`);
  if (s.patch > s.chunk) bad.push(`crop side ${s.patch} exceeds the chunk side ${s.chunk}`);
  const p = chunkPlan(s);
  if (bad.length === 0 && p.train < s.batch) {
    bad.push(
      `${s.frames} frame(s) of ${s.size}² give ${p.chunks} chunks of ${s.chunk}² (${p.val} for validation): ` +
        `fewer than one batch of ${s.batch}; add frames, enlarge them or shrink the chunks`,
    );
  }
  if (bad.length === 0 && p.val < 1) bad.push("the data gives no validation chunk: add frames or shrink the chunks");
  return bad;
}
