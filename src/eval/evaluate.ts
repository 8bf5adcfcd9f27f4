// Evaluation of CR detectors on a dataset split, like the paper's Tables 1–2 and Figs. 6–8: every method's exact
// curve metrics and threshold metrics over all pixels of the split, overall and per subset (band, telescope…),
// plus thinned curves for plotting and a few cutouts for the report.
//
// Methods run one after another over the split (one pass each), so only one method's scores are held at a time
// (2 bytes per pixel, roc.ts). Scores are kept per "leaf" (one combination of the subset keys' values); a subset's
// curve is computed from its leaves, so a pixel is stored once however many subsets it belongs to.
import { detectCosmics } from "../data/lacosmic.ts";
import { bestWindow, crop, type Cutout, CutoutPicker } from "./cutouts.ts";
import {
  bestPrecisionAtTpr,
  bestTprAtFpr,
  type Confusion,
  confusion,
  dilate3x3,
  FPR_TARGETS,
  plotPr,
  plotRoc,
  precisionAtTpr,
  rocCurve,
  ScoreAccumulator,
  sumConfusion,
  thresholdMetrics,
  TPR_TARGET,
  tprAtFpr,
} from "./metrics.ts";
import { detectorParams, EvalError, type LacosmicMethod, type Method, type ModelMethod } from "./methods.ts";
import type {
  ChunkInfoLike,
  ChunkSource,
  EvalChunk,
  EvalOptions,
  EvalProgress,
  EvalResult,
  MethodResult,
  Split,
  SubsetInfo,
  SubsetMetrics,
  SweepPoint,
} from "./types.ts";

export { type Cutout } from "./cutouts.ts";
export type * from "./types.ts";
export {
  EvalError,
  LACOSMIC_SWEEP,
  type LacosmicMethod,
  lacosmicMethod,
  type LacosmicMethodOptions,
  type Method,
  type ModelMethod,
  scoreMethod,
  sigclipSweep,
  unetMethod,
  type UnetMethodOptions,
} from "./methods.ts";

/** Leaf of a chunk: its values of the subset keys, as a stable string. */
function leafOf(info: ChunkInfoLike, keys: readonly string[]): string {
  return JSON.stringify(keys.map((k) => (info[k] === undefined ? null : String(info[k]))));
}

interface LeafStats {
  values: (string | null)[];
  chunks: number;
  positives: number;
  negatives: number;
  ignored: number;
}

/** Everything one method's pass collects, per leaf. */
interface Pass {
  leaves: Map<string, LeafStats>;
  chunks: number;
  accs: Map<string, ScoreAccumulator>;
  sweeps: Map<string, Confusion[]>;
  /** Cutout chunk index → prediction crop. */
  predictions: Map<number, number[]>;
  /** Cutouts seen in this pass (the first pass keeps their pixels). */
  cutouts: Cutout[];
  detectorNotes: Set<string>;
}

function checkChunk(c: EvalChunk, index: number, patch: number, split: Split): void {
  const n = patch * patch;
  const where = `${split} chunk ${index}${c.info.frame !== undefined ? ` (frame ${c.info.frame})` : ""}`;
  if (c.image.length !== n) throw new EvalError(`${where}: image has ${c.image.length} pixels, not ${patch}²`);
  if (c.mask.length !== n) throw new EvalError(`${where}: mask has ${c.mask.length} pixels, not ${patch}²`);
  if (c.ignore && c.ignore.length !== n) {
    throw new EvalError(`${where}: ignore mask has ${c.ignore.length} pixels, not ${patch}²`);
  }
}

interface Resolved {
  split: Split;
  subsets: readonly string[];
  threshold: number;
  cutouts: number;
  cutoutSize: number;
  plotPoints: number;
  onProgress?: (p: EvalProgress) => void;
}

async function runPass(
  ds: ChunkSource,
  m: Method,
  opts: Resolved,
  index: number,
  methods: number,
  keepPixels: boolean,
): Promise<Pass> {
  const { split, subsets: keys, threshold } = opts;
  const patch = ds.patch;
  const total = ds.size ? ds.size(split) : null;
  const picker = new CutoutPicker(opts.cutouts, total ? Math.max(1, Math.floor(total / opts.cutouts)) : 1);
  const source = ds.manifest?.source && typeof ds.manifest.source === "object"
    ? ds.manifest.source as Record<string, unknown>
    : undefined;
  const pass: Pass = {
    leaves: new Map(),
    chunks: 0,
    accs: new Map(),
    sweeps: new Map(),
    predictions: new Map(),
    cutouts: [],
    detectorNotes: new Set(),
  };
  let pending: { chunk: EvalChunk; index: number; leaf: string; cut: boolean }[] = [];

  const stats = (leaf: string, c: EvalChunk) => {
    let s = pass.leaves.get(leaf);
    if (!s) pass.leaves.set(leaf, s = { values: JSON.parse(leaf), chunks: 0, positives: 0, negatives: 0, ignored: 0 });
    s.chunks++;
    for (let i = 0; i < c.mask.length; i++) {
      if (c.ignore && c.ignore[i]) s.ignored++;
      else if (c.mask[i]) s.positives++;
      else s.negatives++;
    }
  };
  const keepCut = (i: number, c: EvalChunk, predicted: ArrayLike<number>) => {
    const { x0, y0 } = bestWindow(c.mask, patch, opts.cutoutSize);
    const size = Math.min(opts.cutoutSize, patch);
    pass.predictions.set(i, crop(predicted, patch, x0, y0, size));
    if (keepPixels) {
      pass.cutouts.push({
        chunk: i,
        info: { ...c.info },
        x0,
        y0,
        size,
        image: crop(c.image, patch, x0, y0, size),
        truth: crop(c.mask, patch, x0, y0, size).map((v) => (v ? 1 : 0)),
        ignore: c.ignore ? crop(c.ignore, patch, x0, y0, size).map((v) => (v ? 1 : 0)) : null,
        predictions: {},
      });
    }
  };
  const report = () => opts.onProgress?.({ method: m.name, index, methods, done: pass.chunks, total });

  const flushModel = async (mm: ModelMethod) => {
    if (pending.length === 0) return;
    const scores = await mm.scores(pending.map((p) => p.chunk.image), patch);
    if (scores.length !== pending.length) {
      throw new EvalError(`${mm.name}: returned ${scores.length} score maps for ${pending.length} chunks`);
    }
    pending.forEach((p, b) => {
      let s = scores[b];
      if (s.length !== patch * patch) throw new EvalError(`${mm.name}: score map of ${s.length} pixels, not ${patch}²`);
      if (mm.dilate) s = dilate3x3(s, patch, patch);
      let acc = pass.accs.get(p.leaf);
      if (!acc) pass.accs.set(p.leaf, acc = new ScoreAccumulator(threshold));
      acc.add(s, p.chunk.mask, p.chunk.ignore);
      if (p.cut) keepCut(p.index, p.chunk, Array.from(s, (v) => (v > threshold ? 1 : 0)));
      pass.chunks++;
      report();
    });
    pending = [];
  };

  const runLacosmic = (lm: LacosmicMethod, c: EvalChunk, i: number, leaf: string, cut: boolean) => {
    const det = detectorParams(c.info, source, lm);
    pass.detectorNotes.add(det.from);
    let sweep = pass.sweeps.get(leaf);
    if (!sweep) pass.sweeps.set(leaf, sweep = lm.sigclips.map(() => ({ tp: 0, fp: 0, fn: 0, tn: 0 })));
    lm.sigclips.forEach((sigclip, k) => {
      const { mask } = detectCosmics(c.image, patch, patch, {
        ...lm.options,
        sigclip,
        gain: det.gain,
        readnoise: det.readnoise,
        satlevel: det.satlevel,
      });
      const dilated = dilate3x3(mask, patch, patch);
      const cm = confusion(dilated, c.mask, c.ignore);
      const acc = sweep![k];
      acc.tp += cm.tp, acc.fp += cm.fp, acc.fn += cm.fn, acc.tn += cm.tn;
      if (cut && sigclip === lm.fixedSigclip) keepCut(i, c, dilated);
    });
    pass.chunks++;
    report();
  };

  let i = 0;
  for await (const c of ds.chunks(split)) {
    checkChunk(c, i, patch, split);
    const leaf = leafOf(c.info, keys);
    stats(leaf, c);
    const cut = picker.pick(i, leaf, c.mask);
    if (m.kind === "lacosmic") runLacosmic(m, c, i, leaf, cut);
    else {
      pending.push({ chunk: c, index: i, leaf, cut });
      if (pending.length >= m.batch) await flushModel(m);
    }
    i++;
  }
  if (m.kind === "model") await flushModel(m);
  return pass;
}

/** Subsets: "all", then key=value for each value present; a subset holding every chunk (same as "all") is skipped. */
function subsetLeaves(leaves: Map<string, LeafStats>, keys: readonly string[]): Map<string, string[]> {
  const all = [...leaves.keys()];
  const out = new Map<string, string[]>([["all", all]]);
  keys.forEach((k, j) => {
    const values = [...new Set([...leaves.values()].map((s) => s.values[j]).filter((v) => v !== null))].sort();
    for (const v of values) {
      const members = all.filter((l) => leaves.get(l)!.values[j] === v);
      if (members.length < all.length) out.set(`${k}=${v}`, members);
    }
  });
  return out;
}

function rate(a: number, b: number): number | null {
  return b > 0 ? a / b : null;
}

function modelMetrics(leaves: string[], pass: Pass, threshold: number, plotPoints: number): SubsetMetrics {
  const accs = leaves.map((l) => pass.accs.get(l)!);
  const curve = rocCurve(accs);
  return {
    tprAtFpr1e4: tprAtFpr(curve, FPR_TARGETS[0]),
    tprAtFpr1e3: tprAtFpr(curve, FPR_TARGETS[1]),
    precisionAtTpr95: precisionAtTpr(curve, TPR_TARGET),
    atThreshold: thresholdMetrics(sumConfusion(accs.map((a) => a.atThreshold)), threshold),
    curvePoints: curve.tp.length,
    roc: plotRoc(curve, plotPoints),
    pr: plotPr(curve, plotPoints),
  };
}

function lacosmicMetrics(leaves: string[], pass: Pass, m: LacosmicMethod): SubsetMetrics {
  const points = m.sigclips.map((_, k) => sumConfusion(leaves.map((l) => pass.sweeps.get(l)![k])));
  const sweep: SweepPoint[] = points.map((c, k) => ({
    sigclip: m.sigclips[k],
    ...c,
    tpr: rate(c.tp, c.tp + c.fn),
    fpr: rate(c.fp, c.fp + c.tn),
    precision: rate(c.tp, c.tp + c.fp),
  }));
  const byFpr = [...sweep].sort((a, b) => (a.fpr ?? 0) - (b.fpr ?? 0) || (a.tpr ?? 0) - (b.tpr ?? 0));
  const byRecall = sweep.filter((p) => p.precision !== null).sort((a, b) => (a.tpr ?? 0) - (b.tpr ?? 0));
  const fixed = points[m.sigclips.indexOf(m.fixedSigclip)];
  return {
    tprAtFpr1e4: bestTprAtFpr(points, FPR_TARGETS[0]),
    tprAtFpr1e3: bestTprAtFpr(points, FPR_TARGETS[1]),
    precisionAtTpr95: bestPrecisionAtTpr(points, TPR_TARGET),
    atThreshold: thresholdMetrics(fixed, null),
    curvePoints: points.length,
    roc: { x: byFpr.map((p) => p.fpr ?? 0), y: byFpr.map((p) => p.tpr ?? 0) },
    pr: { x: byRecall.map((p) => p.tpr ?? 0), y: byRecall.map((p) => p.precision!) },
    sweep,
  };
}

/**
 * Evaluates every method on `split` of `ds`. Numbers are exact over all non-ignored pixels; curves in the result
 * are thinned copies for plots. JSON-serialisable.
 */
export async function evaluate(
  ds: ChunkSource,
  methods: readonly Method[],
  options: EvalOptions = {},
): Promise<EvalResult> {
  if (methods.length === 0) throw new EvalError("no methods to evaluate");
  const names = new Set<string>();
  for (const m of methods) {
    if (names.has(m.name)) throw new EvalError(`two methods are named "${m.name}"`);
    names.add(m.name);
  }
  const opts: Resolved = {
    split: options.split ?? "test",
    subsets: options.subsets ?? ["band", "telescope"],
    threshold: options.threshold ?? 0.5,
    cutouts: options.cutouts ?? 4,
    cutoutSize: options.cutoutSize ?? 64,
    plotPoints: options.plotPoints ?? 1000,
    onProgress: options.onProgress,
  };
  if (!(opts.threshold >= 0 && opts.threshold <= 1)) {
    throw new EvalError(`threshold ${opts.threshold} is not in [0, 1]`);
  }
  const results: MethodResult[] = [];
  let first: Pass | null = null;
  let subsets = new Map<string, string[]>();
  const notes: string[] = [];
  for (const [index, m] of methods.entries()) {
    const t0 = performance.now();
    const pass = await runPass(ds, m, opts, index, methods.length, first === null);
    const seconds = (performance.now() - t0) / 1000;
    if (first === null) {
      if (pass.chunks === 0) throw new EvalError(`the ${opts.split} split has no chunks`);
      first = pass;
      subsets = subsetLeaves(pass.leaves, opts.subsets);
    } else if (pass.chunks !== first.chunks) {
      throw new EvalError(`the ${opts.split} split gave ${pass.chunks} chunks to ${m.name}, ${first.chunks} before`);
    }
    for (const c of first.cutouts) {
      const p = pass.predictions.get(c.chunk);
      if (p) c.predictions[m.name] = p;
    }
    const per: Record<string, SubsetMetrics> = {};
    for (const [name, leaves] of subsets) {
      per[name] = m.kind === "lacosmic"
        ? lacosmicMetrics(leaves, pass, m)
        : modelMetrics(leaves, pass, opts.threshold, opts.plotPoints);
    }
    const details = { ...m.details };
    if (pass.detectorNotes.size) details.detector = [...pass.detectorNotes].join("; ");
    if ([...pass.detectorNotes].some((d) => d.includes("Astro-SCRAPPY default"))) {
      notes.push(
        `${m.name}: some detector keywords were not in the chunk info or manifest and fell back to ` +
          `Astro-SCRAPPY's defaults (${[...pass.detectorNotes].join("; ")}); give --gain / --readnoise / --saturate`,
      );
    }
    results.push({ name: m.name, kind: m.kind, dilate: m.dilate, details, seconds, subsets: per });
  }
  const info: SubsetInfo[] = [...subsets].map(([name, leaves]) => {
    const s = leaves.map((l) => first!.leaves.get(l)!);
    const sum = (f: (x: LeafStats) => number) => s.reduce((a, x) => a + f(x), 0);
    return {
      name,
      chunks: sum((x) => x.chunks),
      pixels: sum((x) => x.positives + x.negatives),
      positives: sum((x) => x.positives),
      ignored: sum((x) => x.ignored),
    };
  });
  if (info[0].positives === 0) notes.push(`the ${opts.split} split has no CR pixels: TPR and precision are undefined`);
  return {
    format: "crgpu-eval",
    version: 1,
    split: opts.split,
    patch: ds.patch,
    threshold: opts.threshold,
    subsetKeys: [...opts.subsets],
    subsets: info,
    methods: results,
    cutouts: first!.cutouts,
    notes,
  };
}
