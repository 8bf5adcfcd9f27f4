// dataset.json: what a dataset directory holds (SPEC.md "Dataset on-disk format") and its validation. Shards are
// listed per split with their chunk count and one info record per chunk, in the shard's order.
import { DatasetError } from "./errors.ts";

export const FORMAT = "crgpu-dataset";
export const VERSION = 1;
/** Most chunks per shard: bounds the loader's memory (64 × 256² × (4 + 1 + 1) bytes ≈ 25 MB per shard). */
export const SHARD_CHUNKS = 64;

export type SplitName = "train" | "val" | "test";
export const SPLITS: readonly SplitName[] = ["train", "val", "test"];

export interface ChunkInfo {
  /** Science frame the chunk was cut from. */
  frame: string;
  /** Lower-left corner of the chunk in the frame, pixels (FITS row 0 = y 0). */
  x: number;
  y: number;
  /** Sky level, ADU: median of the CR-free (LACosmic-cleaned) science chunk U. */
  sky: number;
  band?: string;
  telescope?: string;
  [k: string]: string | number | undefined;
}

export interface ShardEntry {
  file: string;
  chunks: number;
  /** Whether the shard has an IGNORE cube. */
  ignore?: boolean;
  info: ChunkInfo[];
}

export interface SplitEntry {
  chunks: number;
  shards: ShardEntry[];
}

export interface Manifest {
  format: typeof FORMAT;
  version: number;
  patch: number;
  /** How the dataset was made: command, recipe parameters, frames, seeds. */
  source: Record<string, unknown>;
  splits: Record<SplitName, SplitEntry>;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const SHARD_NAME = /^[A-Za-z0-9._-]+\.fits$/;

function checkInfo(v: unknown, where: string, fail: (p: string) => never): ChunkInfo {
  if (!isRecord(v)) fail(`${where} is not an object`);
  const r = v as Record<string, unknown>;
  if (typeof r.frame !== "string") fail(`${where}.frame must be a string`);
  for (const k of ["x", "y", "sky"]) {
    if (typeof r[k] !== "number" || !Number.isFinite(r[k])) fail(`${where}.${k} must be a finite number`);
  }
  for (const [k, x] of Object.entries(r)) {
    if (typeof x !== "string" && typeof x !== "number") fail(`${where}.${k} must be a string or a number`);
  }
  return r as ChunkInfo;
}

/** Checks a parsed dataset.json; `file` names it in errors. Returns it typed. */
export function validateManifest(json: unknown, file: string): Manifest {
  const fail = (problem: string): never => {
    throw new DatasetError(file, problem);
  };
  if (!isRecord(json)) fail("not a crgpu dataset manifest (expected a JSON object)");
  const m = json as Record<string, unknown>;
  if (m.format !== FORMAT) fail(`"format" is ${JSON.stringify(m.format ?? null)}, expected "${FORMAT}"`);
  if (m.version !== VERSION) fail(`"version" is ${JSON.stringify(m.version ?? null)}; this reader knows ${VERSION}`);
  const patch = m.patch;
  if (typeof patch !== "number" || !Number.isInteger(patch) || patch < 4 || patch % 4 !== 0) {
    fail(`"patch" is ${JSON.stringify(patch ?? null)}, expected a positive multiple of 4`);
  }
  if (m.source !== undefined && !isRecord(m.source)) fail(`"source" must be an object`);
  if (!isRecord(m.splits)) fail(`"splits" is missing or not an object`);
  const splits = m.splits as Record<string, unknown>;
  const seen = new Set<string>();
  for (const name of SPLITS) {
    const s = splits[name];
    if (!isRecord(s)) fail(`splits.${name} is missing or not an object`);
    const split = s as Record<string, unknown>;
    if (!Array.isArray(split.shards)) fail(`splits.${name}.shards must be an array`);
    let total = 0;
    (split.shards as unknown[]).forEach((sh, k) => {
      const where = `splits.${name}.shards[${k}]`;
      if (!isRecord(sh)) fail(`${where} is not an object`);
      const e = sh as Record<string, unknown>;
      if (typeof e.file !== "string" || !SHARD_NAME.test(e.file)) {
        fail(`${where}.file must be a plain file name ending in .fits (got ${JSON.stringify(e.file ?? null)})`);
      }
      if (seen.has(e.file as string)) fail(`${where}.file '${e.file}' is listed twice`);
      seen.add(e.file as string);
      const n = e.chunks;
      if (typeof n !== "number" || !Number.isInteger(n) || n < 1 || n > SHARD_CHUNKS) {
        fail(`${where}.chunks must be an integer in 1…${SHARD_CHUNKS} (got ${JSON.stringify(n ?? null)})`);
      }
      if (e.ignore !== undefined && typeof e.ignore !== "boolean") fail(`${where}.ignore must be true or false`);
      if (!Array.isArray(e.info) || e.info.length !== n) {
        fail(`${where}.info must list ${n} chunk records (one per chunk)`);
      }
      (e.info as unknown[]).forEach((inf, j) => checkInfo(inf, `${where}.info[${j}]`, fail));
      total += n as number;
    });
    if (split.chunks !== total) {
      fail(`splits.${name}.chunks is ${JSON.stringify(split.chunks ?? null)} but its shards hold ${total}`);
    }
  }
  return json as unknown as Manifest;
}

/** An empty manifest to fill. */
export function emptyManifest(patch: number, source: Record<string, unknown>): Manifest {
  return {
    format: FORMAT,
    version: VERSION,
    patch,
    source,
    splits: { train: { chunks: 0, shards: [] }, val: { chunks: 0, shards: [] }, test: { chunks: 0, shards: [] } },
  };
}
