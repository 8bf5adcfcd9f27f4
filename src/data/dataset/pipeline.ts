// Running the recipe over a list of science frames and darks into a dataset (manifest + shards). Both builders
// use it: buildDataset gives frames read from FITS, synthDataset frames made by the simulator. Frames are loaded
// one at a time, so memory holds one science frame, one dark and one shard.
import type { LacosmicOptions } from "../lacosmic.ts";
import { DatasetError } from "./errors.ts";
import { type ChunkInfo, emptyManifest, type Manifest, type SplitName } from "./manifest.ts";
import { permutation, rngFor, SALT } from "./random.ts";
import { chunkCount, cleanScience, cutChunks, type Frame, injectPair, type RecipeParams } from "./recipe.ts";
import { type ShardSink, SplitWriter } from "./writer.ts";

export interface Detector {
  /** e⁻/ADU and e⁻, for LACosmic. */
  gain: number;
  readnoise: number;
  /** ADU at and above which a pixel is saturated (Infinity: none). */
  saturation: number;
  badPixels?: Uint8Array;
}

export interface LoadedScience {
  frame: Frame;
  detector: Detector;
  /** True CR mask of the frame's own cosmic rays, when known (simulated frames): for statistics only. */
  trueCosmics?: Uint8Array;
  /** Changes U after the LACosmic step (simulated defects LACosmic would remove, e.g. hot pixels labelled not-CR);
   * returns what to record about it. */
  afterClean?: (u: Float32Array, width: number, height: number) => Record<string, number>;
}

export interface ScienceSource {
  name: string;
  width: number;
  height: number;
  test: boolean;
  /** Copied into every chunk's info (band, telescope, …). */
  info: Record<string, string | number>;
  load(): Promise<LoadedScience>;
}

export interface DarkSource {
  name: string;
  width: number;
  height: number;
  load(): Promise<Frame>;
}

export interface PipelineOptions {
  science: ScienceSource[];
  /** Darks per science frame (indices into `darks`). */
  pairs: number[][];
  darks: DarkSource[];
  params: RecipeParams;
  seed: number;
  sink: ShardSink;
  source: Record<string, unknown>;
  /** Fraction of the train chunks moved to val (0.01; at least one when there are ≥ 2). */
  valFraction?: number;
  onProgress?: (message: string) => void;
}

/** Errors from loading or processing a frame, re-thrown naming it. */
async function named<T>(name: string, f: () => Promise<T> | T): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof DatasetError || (e instanceof Error && e.name === "FitsError")) throw e;
    throw new DatasetError(name, e instanceof Error ? e.message : String(e));
  }
}

export function valCount(trainChunks: number, fraction: number): number {
  return trainChunks >= 2 ? Math.max(1, Math.round(fraction * trainChunks)) : 0;
}

export async function runPipeline(o: PipelineOptions): Promise<Manifest> {
  const { params, science, darks, pairs } = o;
  const patch = params.patch;
  // Plan: how many chunk positions each split gets, so that val can be drawn and shards scattered up front.
  const positions = science.map((s, i) =>
    pairs[i].reduce(
      (sum, d) => sum + chunkCount(Math.min(s.width, darks[d].width), Math.min(s.height, darks[d].height), patch),
      0,
    )
  );
  const trainAll = science.reduce((a, s, i) => a + (s.test ? 0 : positions[i]), 0);
  const testAll = science.reduce((a, s, i) => a + (s.test ? positions[i] : 0), 0);
  const nVal = valCount(trainAll, o.valFraction ?? 0.01);
  const valSet = new Set(permutation(trainAll, rngFor(o.seed, SALT.val)).subarray(0, nVal));
  const lacosmic: LacosmicOptions = { ...params.lacosmic, cleantype: "median" };
  const manifest = emptyManifest(patch, {
    ...o.source,
    recipe: {
      patch,
      kc: params.kc,
      darkSigma: params.darkSigma,
      darkSeedSigma: params.darkSeedSigma,
      dilate: "3x3",
      dropEdgeComponents: true,
      lacosmic,
      maxIgnored: params.maxIgnored,
      sky: "median of the LACosmic-cleaned science chunk U over its usable pixels",
      valFraction: o.valFraction ?? 0.01,
    },
    frames: [] as unknown[],
  });
  const writers: Record<SplitName, SplitWriter> = {
    train: new SplitWriter("train", patch, trainAll - nVal, o.sink, manifest, o.seed, true),
    val: new SplitWriter("val", patch, nVal, o.sink, manifest, o.seed, true),
    test: new SplitWriter("test", patch, testAll, o.sink, manifest, o.seed, false),
  };
  const frames = manifest.source.frames as unknown[];
  let trainPosition = 0;
  const crPixels: Record<SplitName, number> = { train: 0, val: 0, test: 0 };
  for (let i = 0; i < science.length; i++) {
    const s = science[i];
    const t0 = performance.now();
    const loaded = await named(s.name, () => s.load());
    const u = await named(s.name, () => cleanScience(loaded.frame, loaded.detector, params));
    const defects = loaded.afterClean?.(u.data, u.width, u.height);
    let residual: number | undefined;
    if (loaded.trueCosmics) {
      residual = 0;
      for (let p = 0; p < u.lacosmicMask.length; p++) if (loaded.trueCosmics[p] && !u.lacosmicMask[p]) residual++;
    }
    const record: Record<string, unknown> = {
      name: s.name,
      split: s.test ? "test" : "train",
      width: s.width,
      height: s.height,
      ...s.info,
      lacosmicFlagged: u.flagged,
      ...defects,
      ...(residual === undefined ? {} : { ownCosmicPixels: count(loaded.trueCosmics!), ownCosmicsLeft: residual }),
      pairs: [] as unknown[],
    };
    for (const d of pairs[i]) {
      const dark = darks[d];
      const frame = await named(dark.name, () => dark.load());
      const inj = await named(dark.name, () => injectPair(u, frame, params));
      const chunks = cutChunks(inj, u, params);
      let kept = 0;
      for (const c of chunks) {
        const split: SplitName = s.test ? "test" : valSet.has(trainPosition) ? "val" : "train";
        if (!s.test) trainPosition++;
        if (c) {
          kept++;
          let cr = 0;
          for (let p = 0; p < c.mask.length; p++) cr += c.mask[p];
          crPixels[split] += cr;
          const info: ChunkInfo = {
            frame: s.name,
            x: c.x,
            y: c.y,
            sky: Math.fround(c.sky),
            dark: dark.name,
            ...s.info,
          };
          await writers[split].add({ image: c.image, mask: c.mask, ignore: c.ignore, info });
        } else {
          await writers[split].add(null);
        }
      }
      (record.pairs as unknown[]).push({
        dark: dark.name,
        width: inj.width,
        height: inj.height,
        darkLevel: inj.darkLevel,
        sigmaDark: inj.sigmaDark,
        sigmaScience: inj.sigmaScience,
        factor: inj.factor,
        darkPixelsAbove: inj.dark.above,
        darkPixelsUnseeded: inj.dark.unseeded,
        edgeComponentsDropped: inj.dark.edgeDropped,
        crPixels: inj.crPixels,
        chunks: kept,
        chunksDropped: chunks.length - kept,
      });
    }
    frames.push(record);
    o.onProgress?.(
      `${s.name} (${s.test ? "test" : "train"}): ${s.width}×${s.height}, LACosmic flagged ${u.flagged} px, ` +
        `${pairs[i].length} dark(s), ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
  }
  for (const w of Object.values(writers)) await w.finish();
  manifest.source.crPixelFraction = Object.fromEntries(
    (["train", "val", "test"] as const).map((
      k,
    ) => [k, manifest.splits[k].chunks ? crPixels[k] / (manifest.splits[k].chunks * patch * patch) : 0]),
  );
  return manifest;
}

function count(mask: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < mask.length; i++) n += mask[i];
  return n;
}
