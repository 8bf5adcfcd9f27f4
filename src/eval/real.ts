// The real-frame benchmark (`deno task bench:real`): real science frames with cosmic rays injected by the paper's
// §2.1.1 recipe from simulated darks, every method run on each WHOLE frame as `deno task detect` runs it, scored per
// frame and pooled. These frames are test data only: nothing here trains or picks a threshold on them.
//
// Per frame: U = the frame cleaned by LACosmic (Astro-SCRAPPY defaults, 5×5-median fill); then for each fixed dark
// spec D (seed, CCD, exposure) a test case C = U + k_c·(σ_U/σ_D)·(D − d₀)⊙M with M the dark's 3σ mask (5σ seed,
// dilated 3×3, edge components dropped). The frame's own real CRs that LACosmic missed stay in U labelled 0, as in
// the paper.
import { detectCosmics } from "../data/lacosmic.ts";
import { cleanScience, injectPair } from "../data/dataset/recipe.ts";
import { type CcdName, simulateDark } from "../data/synth/dark.ts";
import {
  bestPrecisionAtTpr,
  bestTprAtFpr,
  type Confusion,
  confusion,
  dilate3x3,
  plotRoc,
  precisionAtTpr,
  rocCurve,
  ScoreAccumulator,
  sumConfusion,
  thresholdMetrics,
  type ThresholdMetrics,
  tprAtFpr,
} from "./metrics.ts";
import { sigclipSweep } from "./methods.ts";
import type { EvalResult, MethodResult, SubsetMetrics, SweepPoint } from "./types.ts";

/** A real science frame and its detector (e⁻/ADU, e⁻, ADU; saturation Infinity when unknown). */
export interface RealFrame {
  name: string;
  data: Float32Array;
  width: number;
  height: number;
  gain: number;
  readnoise: number;
  saturation: number;
  /** Where the detector values came from, what was cropped, … */
  notes: string[];
}

/** One simulated dark: the cosmic rays of a test case. */
export interface DarkSpec {
  seed: number;
  ccd: CcdName;
  /** Seconds. */
  exposure: number;
}

/**
 * The benchmark's fixed darks: thick-CCD (DECam-like, 250 µm: tracks and worms) and thin-CCD (LCO-like, 15 µm:
 * 1–2 px dots) cosmic rays over the paper's 90–1200 s dark range. A frame takes them in turn, round after round
 * with every seed + 100 (round 2: 9201…), until its cases hold REAL_MIN_POSITIVES CR pixels or REAL_MAX_CASES cases:
 * a small frame catches few CRs per dark, and a handful of CR pixels measures nothing. Written down so the figures
 * can be reproduced; change them only with a new table.
 */
export const REAL_DARKS: readonly DarkSpec[] = [
  { seed: 9101, ccd: "decam", exposure: 1200 },
  { seed: 9102, ccd: "decam", exposure: 600 },
  { seed: 9103, ccd: "decam", exposure: 300 },
  { seed: 9104, ccd: "lco-thin", exposure: 1200 },
  { seed: 9105, ccd: "lco-thin", exposure: 600 },
];
export const REAL_MIN_POSITIVES = 2000;
/**
 * Pixels within this distance of a frame's edge are not scored. LACosmic's median filters cannot judge a pixel
 * there, so the frame's own CRs at the edges stay in U labelled 0 (GMOS has a bright 2-px hit at y = 147–148 of
 * 150 that every good detector flags: 9 "false positives" per case, the whole 0.01% FPR budget of its 30,000
 * pixels); and the recipe drops injected CRs that touch an edge anyway.
 */
export const REAL_EDGE = 4;
export const REAL_MAX_CASES = 40;

/** The k-th dark of the sequence above (k ≥ 0). */
export function realDark(k: number, darks: readonly DarkSpec[] = REAL_DARKS): DarkSpec {
  const d = darks[k % darks.length];
  return { ...d, seed: d.seed + 100 * Math.floor(k / darks.length) };
}

export interface RealCase {
  frame: string;
  dark: DarkSpec;
  width: number;
  height: number;
  /** C (ADU), its CR mask (3×3-dilated) and the pixels left out (saturated, non-finite). */
  image: Float32Array;
  mask: Uint8Array;
  ignore: Uint8Array;
  positives: number;
  /** k_c·σ_U/σ_D. */
  factor: number;
}

export interface FrameCases {
  frame: RealFrame;
  /** Pixels LACosmic cleaned from the real frame to make U. */
  cleaned: number;
  cases: RealCase[];
}

/**
 * The test cases of one frame: U once, then one injection per dark. With `darks` given, exactly those; otherwise
 * the REAL_DARKS sequence until REAL_MIN_POSITIVES CR pixels (at least one full round, at most REAL_MAX_CASES).
 */
export function realCases(frame: RealFrame, darks?: readonly DarkSpec[]): FrameCases {
  const { width, height } = frame;
  const u = cleanScience(frame, { gain: frame.gain, readnoise: frame.readnoise, saturation: frame.saturation });
  const one = (dark: DarkSpec): RealCase => {
    const d = simulateDark({ width, height, exposure: dark.exposure, seed: dark.seed, ccd: dark.ccd });
    const inj = injectPair(u, { data: d.image, width, height });
    const ignore = Uint8Array.from(inj.ignore); // a copy: inj.ignore may be U's own mask
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        if (x < REAL_EDGE || y < REAL_EDGE || x >= width - REAL_EDGE || y >= height - REAL_EDGE) ignore[y * width + x] = 1;
      }
    }
    let positives = 0;
    for (let i = 0; i < inj.mask.length; i++) if (inj.mask[i] && !ignore[i]) positives++;
    // Non-finite pixels stay non-finite (detect gives them p = 0; they are ignored in the scores).
    return { frame: frame.name, dark, width, height, image: inj.image, mask: inj.mask, ignore, positives,
      factor: inj.factor };
  };
  const cases: RealCase[] = [];
  if (darks) cases.push(...darks.map(one));
  else {
    let positives = 0;
    for (let k = 0; k < REAL_MAX_CASES; k++) {
      if (k >= REAL_DARKS.length && positives >= REAL_MIN_POSITIVES) break;
      const c = one(realDark(k));
      cases.push(c);
      positives += c.positives;
    }
  }
  return { frame, cleaned: u.flagged, cases };
}

/** A model run on a whole frame. */
export interface FrameModel {
  name: string;
  /** 3×3 max filter on the scores (not trained on dilated masks). */
  dilate: boolean;
  /** Its operating threshold (p > threshold), from its card. */
  threshold: number;
  details: Record<string, string | number | boolean>;
  scores(image: Float32Array, width: number, height: number): Promise<Float32Array>;
}

/** A LACosmic keyword setting: one run at `sigclip`, and a sweep over [1, 20] for the tuned row. */
export interface LacosmicSetting {
  name: string;
  sigfrac: number;
  objlim: number;
}

/** Astro-SCRAPPY's defaults and the paper's DECam setting (§3). */
export const LACOSMIC_SETTINGS: readonly LacosmicSetting[] = [
  { name: "default", sigfrac: 0.3, objlim: 5 },
  { name: "paper", sigfrac: 0.1, objlim: 1 },
];
export const LACOSMIC_FIXED_SIGCLIP = 4.5;

/** FPR targets of the table: 0.01%, 0.1%, 1%. */
export const REAL_FPR_TARGETS = [1e-4, 1e-3, 1e-2] as const;

export interface RealMetrics {
  /** TPR at each REAL_FPR_TARGETS. */
  tprAtFpr: (number | null)[];
  precisionAtTpr95: number | null;
  /** TPR at the FPR of LACosmic's fixed run of each setting (by setting name). */
  tprAtLacosmic: Record<string, number | null>;
  /** Models: at their own threshold; LACosmic fixed runs: the run; the tuned sweep: null. */
  atThreshold: ThresholdMetrics | null;
  roc: { x: number[]; y: number[] };
  /** LACosmic: the runs behind the row. */
  sweep?: SweepPoint[];
}

export interface RealRow {
  name: string;
  kind: "model" | "lacosmic";
  dilate: boolean;
  details: Record<string, string | number | boolean>;
  seconds: number;
  /** "all", then "frame=<name>" per frame. */
  subsets: Record<string, RealMetrics>;
}

export interface RealSubset {
  name: string;
  cases: number;
  pixels: number;
  positives: number;
  ignored: number;
}

export interface RealResult {
  format: "crgpu-bench-real";
  version: 1;
  frames: { name: string; width: number; height: number; gain: number; readnoise: number; saturation: number | null;
    cleaned: number; darks: DarkSpec[]; notes: string[] }[];
  subsets: RealSubset[];
  rows: RealRow[];
  notes: string[];
}

export interface RealOptions {
  /** LACosmic sweep size over sigclip [1, 20] (default 20, the paper's). */
  sweep?: number;
  /** Skip LACosmic. */
  lacosmic?: boolean;
  onProgress?: (message: string) => void;
}

interface Counts {
  pixels: number;
  positives: number;
  ignored: number;
}

function countsOf(c: RealCase): Counts {
  let ignored = 0;
  for (let i = 0; i < c.ignore.length; i++) ignored += c.ignore[i];
  return { pixels: c.mask.length - ignored, positives: c.positives, ignored };
}

const rate = (a: number, b: number) => (b > 0 ? a / b : null);

function sweepPoint(sigclip: number, c: Confusion): SweepPoint {
  return { sigclip, ...c, tpr: rate(c.tp, c.tp + c.fn), fpr: rate(c.fp, c.fp + c.tn), precision: rate(c.tp, c.tp + c.fp) };
}

/** LACosmic on one case with the frame's detector. */
function lacosmicMask(c: RealCase, f: RealFrame, s: LacosmicSetting, sigclip: number): Uint8Array {
  const satlevel = Number.isFinite(f.saturation) ? f.saturation * f.gain : undefined;
  const { mask } = detectCosmics(c.image, c.width, c.height, {
    sigclip,
    sigfrac: s.sigfrac,
    objlim: s.objlim,
    gain: f.gain,
    readnoise: f.readnoise,
    ...(satlevel === undefined ? {} : { satlevel }),
    inmask: c.ignore,
  });
  return dilate3x3(mask, c.width, c.height);
}

/**
 * Runs every model and LACosmic (its two fixed settings and the sweep under both) on every case. Rows: the models
 * in order, then "LACosmic default", "LACosmic paper", "LACosmic tuned" (the best sweep point at each target).
 */
export async function benchReal(
  frames: readonly FrameCases[],
  models: readonly FrameModel[],
  opts: RealOptions = {},
): Promise<RealResult> {
  if (frames.length === 0) throw new RangeError("no frames to measure");
  const subsetNames = ["all", ...frames.map((f) => `frame=${f.frame.name}`)];
  const subsets: RealSubset[] = subsetNames.map((name, k) => {
    const list = k === 0 ? frames : [frames[k - 1]];
    const cs = list.flatMap((f) => f.cases).map(countsOf);
    const sum = (key: keyof Counts) => cs.reduce((a, c) => a + c[key], 0);
    return { name, cases: cs.length, pixels: sum("pixels"), positives: sum("positives"), ignored: sum("ignored") };
  });
  const say = opts.onProgress ?? (() => {});
  const rows: RealRow[] = [];

  // LACosmic first: its fixed runs' FPRs are the operating points the models are compared at.
  const lacRows: RealRow[] = [];
  if (opts.lacosmic !== false) {
    const sigclips = sigclipSweep(opts.sweep ?? 20);
    // Per frame: confusion of each (setting, sigclip) run, summed over the frame's cases.
    const fixed = LACOSMIC_SETTINGS.map(() => frames.map(() => ({ tp: 0, fp: 0, fn: 0, tn: 0 })));
    const sweep = LACOSMIC_SETTINGS.map(() => sigclips.map(() => frames.map(() => ({ tp: 0, fp: 0, fn: 0, tn: 0 }))));
    const add = (to: Confusion, c: Confusion) => {
      to.tp += c.tp, to.fp += c.fp, to.fn += c.fn, to.tn += c.tn;
    };
    const t0 = performance.now();
    frames.forEach((f, fi) => {
      for (const c of f.cases) {
        LACOSMIC_SETTINGS.forEach((s, si) => {
          add(fixed[si][fi], confusion(lacosmicMask(c, f.frame, s, LACOSMIC_FIXED_SIGCLIP), c.mask, c.ignore));
          sigclips.forEach((sc, k) => add(sweep[si][k][fi], confusion(lacosmicMask(c, f.frame, s, sc), c.mask, c.ignore)));
        });
        say(`LACosmic: ${f.frame.name} seed ${c.dark.seed} (${2 * (sigclips.length + 1)} runs)`);
      }
    });
    const seconds = (performance.now() - t0) / 1000;
    const pick = <T>(perFrame: T[], k: number) => (k === 0 ? perFrame : [perFrame[k - 1]]);
    LACOSMIC_SETTINGS.forEach((s, si) => {
      const row: RealRow = {
        name: `LACosmic ${s.name}`,
        kind: "lacosmic",
        dilate: true,
        details: { sigclip: LACOSMIC_FIXED_SIGCLIP, sigfrac: s.sigfrac, objlim: s.objlim },
        seconds,
        subsets: {},
      };
      subsetNames.forEach((name, k) => {
        const c = sumConfusion(pick(fixed[si], k));
        row.subsets[name] = pointMetrics([c], [sweepPoint(LACOSMIC_FIXED_SIGCLIP, c)], thresholdMetrics(c, null));
      });
      lacRows.push(row);
    });
    const tuned: RealRow = {
      name: "LACosmic tuned",
      kind: "lacosmic",
      dilate: true,
      details: {
        sweep: `sigclip ${sigclips[0]}–${sigclips[sigclips.length - 1]} (${sigclips.length} values) under ` +
          LACOSMIC_SETTINGS.map((s) => `sigfrac ${s.sigfrac}/objlim ${s.objlim}`).join(" and "),
        best: "per target, the best run with FPR ≤ target (per frame: tuned on that frame)",
      },
      seconds,
      subsets: {},
    };
    subsetNames.forEach((name, k) => {
      const points = LACOSMIC_SETTINGS.flatMap((_, si) => sigclips.map((sc, j) => ({ sc, c: sumConfusion(pick(sweep[si][j], k)) })));
      tuned.subsets[name] = pointMetrics(points.map((p) => p.c), points.map((p) => sweepPoint(p.sc, p.c)), null);
    });
    lacRows.push(tuned);
  }

  // The FPR of each fixed LACosmic run, per subset.
  const lacFpr = (subset: string): Record<string, number> =>
    Object.fromEntries(
      lacRows.filter((r) => r.name !== "LACosmic tuned").map((r) => [r.name, r.subsets[subset].atThreshold!.fpr ?? 0]),
    );
  for (const r of lacRows) {
    for (const name of subsetNames) {
      const fprs = lacFpr(name);
      const own = r.subsets[name];
      own.tprAtLacosmic = Object.fromEntries(
        Object.keys(fprs).map((k) => [k, bestTprAtFpr(own.sweep!, fprs[k])]),
      );
    }
  }

  for (const m of models) {
    const t0 = performance.now();
    const accs = frames.map(() => new ScoreAccumulator(m.threshold));
    for (const [fi, f] of frames.entries()) {
      for (const c of f.cases) {
        let s = await m.scores(c.image, c.width, c.height);
        if (s.length !== c.width * c.height) {
          throw new RangeError(`${m.name}: ${s.length} scores for a ${c.width} × ${c.height} frame`);
        }
        if (m.dilate) s = dilate3x3(s, c.width, c.height);
        accs[fi].add(s, c.mask, c.ignore);
        say(`${m.name}: ${f.frame.name} seed ${c.dark.seed}`);
      }
    }
    const row: RealRow = {
      name: m.name,
      kind: "model",
      dilate: m.dilate,
      details: { ...m.details, threshold: m.threshold },
      seconds: (performance.now() - t0) / 1000,
      subsets: {},
    };
    subsetNames.forEach((name, k) => {
      const list = k === 0 ? accs : [accs[k - 1]];
      const curve = rocCurve(list);
      const fprs = lacFpr(name);
      row.subsets[name] = {
        tprAtFpr: REAL_FPR_TARGETS.map((t) => tprAtFpr(curve, t)),
        precisionAtTpr95: precisionAtTpr(curve, 0.95),
        tprAtLacosmic: Object.fromEntries(Object.keys(fprs).map((key) => [key, tprAtFpr(curve, fprs[key])])),
        atThreshold: thresholdMetrics(sumConfusion(list.map((a) => a.atThreshold)), m.threshold),
        roc: plotRoc(curve, 600),
      };
    });
    rows.push(row);
  }
  rows.push(...lacRows);

  const notes = [
    "Every method runs on each whole frame (models as `deno task detect` runs them: one pass up to 1024², tiles beyond).",
    "Truth masks are 3×3-dilated; † = predictions dilated 3×3 first (not trained on dilated masks; LACosmic always).",
    "LACosmic tuned: the best sweep run at each target, chosen on the pixels scored (per frame: tuned per frame).",
  ];
  return {
    format: "crgpu-bench-real",
    version: 1,
    frames: frames.map((f) => ({
      name: f.frame.name,
      width: f.frame.width,
      height: f.frame.height,
      gain: f.frame.gain,
      readnoise: f.frame.readnoise,
      saturation: Number.isFinite(f.frame.saturation) ? f.frame.saturation : null,
      cleaned: f.cleaned,
      darks: f.cases.map((c) => c.dark),
      notes: f.frame.notes,
    })),
    subsets,
    rows,
    notes,
  };
}

/** Metrics of an operating-point family (LACosmic): best TPR at each target, best precision at 95% TPR. */
function pointMetrics(points: Confusion[], sweep: SweepPoint[], at: ThresholdMetrics | null): RealMetrics {
  // Drawn: the runs no other run beats at once in FPR and TPR (what "tuned" can reach), in FPR order.
  const byFpr = [...sweep].sort((a, b) => (a.fpr ?? 0) - (b.fpr ?? 0) || (b.tpr ?? 0) - (a.tpr ?? 0));
  const front: SweepPoint[] = [];
  for (const p of byFpr) if (front.length === 0 || (p.tpr ?? 0) > (front[front.length - 1].tpr ?? 0)) front.push(p);
  return {
    tprAtFpr: REAL_FPR_TARGETS.map((t) => bestTprAtFpr(points, t)),
    precisionAtTpr95: bestPrecisionAtTpr(points, 0.95),
    tprAtLacosmic: {},
    atThreshold: at,
    roc: { x: front.map((p) => p.fpr ?? 0), y: front.map((p) => p.tpr ?? 0) },
    sweep,
  };
}

/** The result as an EvalResult, so the evaluation's ROC figure draws it (rocSvg). */
export function asEvalResult(r: RealResult): EvalResult {
  const methods: MethodResult[] = r.rows.map((row) => ({
    name: row.name,
    kind: row.kind,
    dilate: row.dilate,
    details: row.details,
    seconds: row.seconds,
    subsets: Object.fromEntries(Object.entries(row.subsets).map(([k, m]): [string, SubsetMetrics] => [k, {
      tprAtFpr1e4: m.tprAtFpr[0],
      tprAtFpr1e3: m.tprAtFpr[1],
      precisionAtTpr95: m.precisionAtTpr95,
      atThreshold: m.atThreshold ?? thresholdMetrics({ tp: 0, fp: 0, fn: 0, tn: 0 }, null),
      curvePoints: m.roc.x.length,
      roc: m.roc,
      pr: { x: [], y: [] },
      ...(m.sweep ? { sweep: m.sweep } : {}),
    }])),
  }));
  return {
    format: "crgpu-eval",
    version: 1,
    split: "test",
    patch: 0,
    threshold: 0.5,
    subsetKeys: ["frame"],
    subsets: r.subsets.map((s) => ({ name: s.name, chunks: s.cases, pixels: s.pixels, positives: s.positives,
      ignored: s.ignored })),
    methods,
    cutouts: [],
    notes: r.notes,
  };
}
