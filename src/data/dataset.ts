// Datasets for training and evaluating CR detectors (SPEC.md "Dataset on-disk format" and "Loader API"): FITS
// shards + dataset.json, the loader with the paper's augmentation, and the two builders — from real FITS frames
// (buildDataset, paper §2.1.1) and from the simulator (synthDataset).
export { type Batch, type BatchOptions, Dataset, type DatasetChunk } from "./dataset/loader.ts";
export { DatasetError } from "./dataset/errors.ts";
export {
  type ChunkInfo,
  type Manifest,
  SHARD_CHUNKS,
  type ShardEntry,
  type SplitEntry,
  type SplitName,
  SPLITS,
  validateManifest,
} from "./dataset/manifest.ts";
export {
  PRESETS,
  synthDataset,
  type SynthMode,
  type SynthOptions,
  type SynthPreset,
  type SynthResult,
} from "./dataset/synth.ts";
export { buildDataset, type BuildOptions } from "./dataset/build.ts";
export {
  cleanScience,
  crop,
  cutChunks,
  darkMask,
  DEFAULT_RECIPE,
  dilate3x3,
  dropEdgeComponents,
  injectPair,
  type RecipeParams,
} from "./dataset/recipe.ts";
