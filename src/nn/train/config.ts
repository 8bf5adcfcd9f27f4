// Training recipe: the paper's appendix (Adam lr 0.005, batch 16, LR ×0.1 on a 4-epoch plateau of the validation
// loss, BatchNorm in train mode for the first 40% of epochs then frozen) and the named presets.
import { VARIANTS, type VariantName } from "../modules/unet.ts";
import type { PlateauOptions } from "./plateau.ts";
import type { SynthPreset } from "../../data/dataset/synth.ts";
import { type Normalize, parseNormalize } from "../detect/prep.ts";

export type LossName = "bce" | "median-weighted-bce";
export const LOSSES: readonly LossName[] = ["bce", "median-weighted-bce"];

export interface TrainConfig {
  variant: VariantName;
  epochs: number;
  batch: number;
  lr: number;
  /** Side of the training crops (a multiple of 4, at most the dataset's chunk side). */
  patch: number;
  seed: number;
  loss: LossName;
  /** Cap on optimizer steps per epoch (null: one pass over the training split). */
  stepsPerEpoch: number | null;
  /** Fraction of epochs BatchNorm trains with batch statistics before switching to frozen running statistics. */
  bnTrainFraction: number;
  plateau: PlateauOptions;
  /** Sky augmentation α range (image += α·sky), or false. */
  sky: [number, number] | false;
  flips: boolean;
  /** Batches used to re-estimate BatchNorm running statistics (cumulative average) when they freeze; 0 keeps
   * the EMA (the paper). Short runs need it: at momentum 0.005 the EMA needs ~600 steps to forget its start. */
  bnRecalibrate: number;
  /** Pixel normalisation of each training image before the network (src/nn/detect/prep.ts), recorded in the
   * checkpoint so detection and evaluation apply the same; "none" (raw ADU) is the paper's. */
  normalize: Normalize;
  /** Also save a resume checkpoint every this many steps inside an epoch (0: only at epoch ends). */
  saveEvery: number;
  /** Initial bias of the output layer (a logit; `prior.ts`), or null for PyTorch's default initialisation (the
   * paper's). */
  outputBias: number | null;
  /** Share of training crops placed over a CR pixel (Cosmic-CoNN's CR-aware sampling); 0 = uniform. Absent in
   * runs recorded before the option existed: 0. */
  crCrops?: number;
  /** "plateau" (the paper's ReduceLROnPlateau) or "cosine" (a decay over the run's steps, cosine.ts). Absent in runs
   * recorded before the option existed: plateau. */
  schedule?: "plateau" | "cosine";
}

export const PAPER_PLATEAU: PlateauOptions = { factor: 0.1, patience: 4, threshold: 0.001, minLr: 0 };

export const DEFAULTS: TrainConfig = {
  variant: "att-cosmic-conn",
  epochs: 60,
  batch: 16,
  lr: 0.005,
  patch: 256,
  seed: 0,
  loss: "bce",
  stepsPerEpoch: null,
  bnTrainFraction: 0.4,
  plateau: PAPER_PLATEAU,
  sky: [-0.9, 3],
  flips: true,
  bnRecalibrate: 0,
  normalize: "none",
  saveEvery: 0,
  outputBias: null,
};

export interface Preset {
  about: string;
  config: Partial<TrainConfig>;
  /** Simulated data used when no --data is given: synthDataset's preset name. */
  synth: SynthPreset;
}

export const PRESETS: Record<string, Preset> = {
  quick: {
    about: "≤ 15 min on a 2-core CPU: random 64² crops of a small simulated DECam-like set, 12 epochs of ≤ 16 steps",
    config: { epochs: 12, batch: 16, patch: 64, stepsPerEpoch: 16, bnRecalibrate: 16 },
    synth: "quick",
  },
  paper: {
    about: "the paper's recipe: 256² patches, batch 16, up to 60 epochs (GPU-sized: days on this CPU)",
    config: { epochs: 60, batch: 16, patch: 256, stepsPerEpoch: null },
    synth: "paper",
  },
};

/** Epochs that train BatchNorm with batch statistics: the first ⌈fraction · epochs⌉ (deepCR's two phases). */
export function bnTrainEpochs(c: TrainConfig): number {
  return Math.ceil(c.bnTrainFraction * c.epochs);
}

/** Throws with every problem named; returns the config. */
export function checkConfig(c: TrainConfig, chunkSide?: number): TrainConfig {
  const bad: string[] = [];
  if (!Object.hasOwn(VARIANTS, c.variant)) bad.push(`unknown variant "${c.variant}" (known: ${Object.keys(VARIANTS).join(", ")})`);
  const int = (name: string, v: number, min: number) => {
    if (!Number.isInteger(v) || v < min) bad.push(`${name} must be an integer ≥ ${min} (got ${v})`);
  };
  int("epochs", c.epochs, 1);
  int("batch", c.batch, 1);
  int("patch", c.patch, 4);
  int("saveEvery", c.saveEvery, 0);
  int("bnRecalibrate", c.bnRecalibrate, 0);
  int("plateau.patience", c.plateau.patience, 0);
  if (c.stepsPerEpoch !== null) int("stepsPerEpoch", c.stepsPerEpoch, 1);
  // Absent in runs recorded before the option existed: the default.
  if (c.outputBias != null && !Number.isFinite(c.outputBias)) bad.push(`outputBias must be a finite number or null`);
  if (c.schedule !== undefined && c.schedule !== "plateau" && c.schedule !== "cosine") {
    bad.push(`schedule must be plateau or cosine (got "${c.schedule}")`);
  }
  if (c.crCrops !== undefined && !(c.crCrops >= 0 && c.crCrops <= 1)) bad.push(`crCrops must be in [0, 1]`);
  if (c.patch % 4 !== 0) bad.push(`patch must be a multiple of 4 (got ${c.patch})`);
  if (chunkSide !== undefined && c.patch > chunkSide) bad.push(`patch ${c.patch} exceeds the dataset's ${chunkSide}² chunks`);
  if (!(c.lr > 0 && Number.isFinite(c.lr))) bad.push(`lr must be a positive number (got ${c.lr})`);
  if (!LOSSES.includes(c.loss)) bad.push(`loss must be one of ${LOSSES.join(", ")} (got "${c.loss}")`);
  if (!(c.bnTrainFraction >= 0 && c.bnTrainFraction <= 1)) bad.push(`bnTrainFraction must be in [0, 1]`);
  if (c.sky && !(c.sky[0] <= c.sky[1] && c.sky[0] > -1)) bad.push(`sky range must be α0 ≤ α1 with α0 > −1`);
  try {
    parseNormalize(c.normalize);
  } catch (e) {
    bad.push((e as Error).message);
  }
  if (bad.length) throw new RangeError(`training config: ${bad.join("; ")}`);
  return c;
}
