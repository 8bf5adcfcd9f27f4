// Detection metrics of the paper (Bhavanam et al. 2022, after deepCR and Cosmic-CoNN), exact over every pixel:
// TPR at 0.01% and 0.1% FPR and precision at 95% TPR from the exact ROC curve (roc.ts), and TP/FP/FN/TN,
// precision, recall, F1, IoU, FDR at one threshold. Pixels under an ignore mask are left out of everything.
//
// Rules (no interpolation anywhere):
// - A pixel is called a CR at threshold t on the curve when score ≥ t; the fixed-threshold metrics use score > t
//   (crMask's rule, so "at 0.5" means what `deno task detect --threshold 0.5` writes).
// - tprAtFpr(c, f): the TPR at the LOWEST threshold whose FPR ≤ f, i.e. the largest TPR among the curve's points
//   with FPR ≤ f. The point "nothing flagged" (threshold +∞) always qualifies, so it is 0 when even the single
//   highest score already exceeds f.
// - precisionAtTpr(c, r): the precision at the HIGHEST threshold whose TPR ≥ r (the first point reaching r).
// - Operating-point families (LACosmic's sigclip sweep): TPR at FPR f is the best TPR among the points with
//   FPR ≤ f (0 if none: flagging nothing is always possible); precision at TPR r is the best precision among the
//   points with TPR ≥ r (null if no point reaches r).
// - Undefined ratios (0/0: no positives, nothing flagged) are null, never NaN, so results stay JSON.
import type { Confusion, Curve } from "./roc.ts";

export { type Confusion, type Curve, rocCurve, ScoreAccumulator, sumConfusion } from "./roc.ts";

/** The paper's operating points: TPR at 0.01% and 0.1% FPR, precision at 95% TPR. */
export const FPR_TARGETS = [1e-4, 1e-3] as const;
export const TPR_TARGET = 0.95;

const ratio = (a: number, b: number): number | null => (b > 0 ? a / b : null);

/** TPR of curve point k (null when there are no positives). */
export function tprOf(curve: Curve, k: number): number | null {
  return ratio(curve.tp[k], curve.positives);
}

/** FPR of curve point k (0 when there are no negatives: nothing can be a false positive). */
export function fprOf(curve: Curve, k: number): number {
  return curve.negatives > 0 ? curve.fp[k] / curve.negatives : 0;
}

/** TPR at the lowest threshold whose FPR ≤ target (see the rules above); null without positives. */
export function tprAtFpr(curve: Curve, target: number): number | null {
  if (curve.positives === 0) return null;
  // fp is non-decreasing along the curve: binary search for the last point with FPR ≤ target.
  let lo = 0, hi = curve.fp.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (fprOf(curve, mid) <= target) lo = mid;
    else hi = mid - 1;
  }
  return curve.tp[lo] / curve.positives;
}

/** Precision at the highest threshold whose TPR ≥ target; null without positives (or if nothing is flagged). */
export function precisionAtTpr(curve: Curve, target: number): number | null {
  if (curve.positives === 0) return null;
  const n = curve.tp.length;
  let lo = 0, hi = n - 1; // the last point flags everything, TPR 1 ≥ any target ≤ 1
  if (curve.tp[hi] / curve.positives < target) return null;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (curve.tp[mid] / curve.positives >= target) hi = mid;
    else lo = mid + 1;
  }
  return ratio(curve.tp[lo], curve.tp[lo] + curve.fp[lo]);
}

/** The largest float32 below `v` (v > 0 finite): {p > it} = {p ≥ v} for float32 scores p. */
function float32Below(v: number): number {
  const f = new Float32Array([v]), u = new Uint32Array(f.buffer);
  if (f[0] > 0) u[0] -= 1;
  else if (f[0] === 0) return -Number.MIN_VALUE;
  else u[0] += 1;
  return f[0];
}

/**
 * The operating point with the best F1 on a curve, as a threshold for `p > threshold` (crMask's rule): the curve
 * point calls score ≥ t a CR, which is p > (the float32 just below t). Null without positives.
 */
export function bestF1Threshold(curve: Curve): { threshold: number; f1: number } | null {
  if (curve.positives === 0) return null;
  let best = -1, at = 0;
  for (let k = 1; k < curve.tp.length; k++) {
    const tp = curve.tp[k], fp = curve.fp[k], fn = curve.positives - tp;
    const f1 = (2 * tp) / (2 * tp + fp + fn);
    if (f1 > best) (best = f1), (at = k);
  }
  const t = curve.thresholds[at];
  return { threshold: Math.min(1, Math.max(0, float32Below(t))), f1: best };
}

/** The confusion matrix at one threshold and the ratios derived from it. */
export interface ThresholdMetrics extends Confusion {
  /** Score threshold (score > threshold is a CR); null for methods that give a mask (LACosmic's fixed run). */
  threshold: number | null;
  /** TP / (TP + FP) */
  precision: number | null;
  /** TP / (TP + FN), the TPR */
  recall: number | null;
  /** 2TP / (2TP + FP + FN), the harmonic mean of precision and recall */
  f1: number | null;
  /** TP / (TP + FP + FN), intersection over union of the predicted and true masks */
  iou: number | null;
  /** FP / (TP + FP) = 1 − precision, the false discovery rate */
  fdr: number | null;
  /** FP / (FP + TN) */
  fpr: number | null;
}

export function thresholdMetrics(c: Confusion, threshold: number | null): ThresholdMetrics {
  const { tp, fp, fn, tn } = c;
  return {
    threshold,
    tp,
    fp,
    fn,
    tn,
    precision: ratio(tp, tp + fp),
    recall: ratio(tp, tp + fn),
    f1: ratio(2 * tp, 2 * tp + fp + fn),
    iou: ratio(tp, tp + fp + fn),
    fdr: ratio(fp, tp + fp),
    fpr: ratio(fp, fp + tn),
  };
}

/** Confusion matrix of a binary prediction (non-zero = CR) against the truth, ignore pixels left out. */
export function confusion(
  predicted: ArrayLike<number>,
  truth: ArrayLike<number>,
  ignore: ArrayLike<number> | null = null,
): Confusion {
  const n = predicted.length;
  if (truth.length !== n) throw new RangeError(`prediction has ${n} pixels, truth has ${truth.length}`);
  if (ignore && ignore.length !== n) throw new RangeError(`prediction has ${n} pixels, ignore has ${ignore.length}`);
  const c = { tp: 0, fp: 0, fn: 0, tn: 0 };
  for (let i = 0; i < n; i++) {
    if (ignore && ignore[i]) continue;
    if (truth[i]) predicted[i] ? c.tp++ : c.fn++;
    else predicted[i] ? c.fp++ : c.tn++;
  }
  return c;
}

/** Best TPR among operating points with FPR ≤ target; 0 if none; null without positives. */
export function bestTprAtFpr(points: readonly Confusion[], target: number): number | null {
  let best: number | null = null;
  for (const p of points) {
    if (p.tp + p.fn === 0) return null;
    best ??= 0;
    const fpr = p.fp + p.tn > 0 ? p.fp / (p.fp + p.tn) : 0;
    if (fpr <= target) best = Math.max(best, p.tp / (p.tp + p.fn));
  }
  return best;
}

/** Best precision among operating points with TPR ≥ target; null if none reaches it (or without positives). */
export function bestPrecisionAtTpr(points: readonly Confusion[], target: number): number | null {
  let best: number | null = null;
  for (const p of points) {
    if (p.tp + p.fn === 0) return null;
    const precision = ratio(p.tp, p.tp + p.fp);
    if (p.tp / (p.tp + p.fn) >= target && precision !== null) best = Math.max(best ?? 0, precision);
  }
  return best;
}

/**
 * 3×3 maximum filter (pixels outside the image do not count). On a 0/1 mask it is the 3×3 binary dilation; on a
 * score map it equals dilating the mask {score ≥ t} at every threshold t, so the curve of the dilated scores is the
 * curve of the dilated masks.
 */
export function dilate3x3<T extends Float32Array | Uint8Array>(values: T, width: number, height: number): T {
  if (values.length !== width * height) {
    throw new RangeError(`dilate3x3: ${values.length} values for ${width} × ${height}`);
  }
  const Ctor = values.constructor as new (n: number) => T;
  const rows = new Ctor(values.length), out = new Ctor(values.length);
  for (let y = 0; y < height; y++) { // max over x−1..x+1
    const r = y * width;
    for (let x = 0; x < width; x++) {
      let m = values[r + x];
      if (x > 0 && values[r + x - 1] > m) m = values[r + x - 1];
      if (x + 1 < width && values[r + x + 1] > m) m = values[r + x + 1];
      rows[r + x] = m;
    }
  }
  for (let y = 0; y < height; y++) { // then over y−1..y+1
    const r = y * width;
    for (let x = 0; x < width; x++) {
      let m = rows[r + x];
      if (y > 0 && rows[r - width + x] > m) m = rows[r - width + x];
      if (y + 1 < height && rows[r + width + x] > m) m = rows[r + width + x];
      out[r + x] = m;
    }
  }
  return out;
}

/** A curve thinned for drawing only (never for numbers). */
export interface PlotCurve {
  x: number[];
  y: number[];
}

/** 6 significant digits: plenty for drawing, and small JSON. */
const short = (v: number) => Number(v.toPrecision(6));

/** Keeps points that move ≥ `step` of the axis range in display coordinates; first and last always kept. */
function thin(xs: number[], ys: number[], dx: (a: number, b: number) => number, maxPoints: number): PlotCurve {
  const out = thinned(xs, ys, dx, maxPoints);
  return { x: out.x.map(short), y: out.y.map(short) };
}

function thinned(xs: number[], ys: number[], dx: (a: number, b: number) => number, maxPoints: number): PlotCurve {
  if (xs.length <= maxPoints) return { x: xs, y: ys };
  for (let step = 0.001;; step *= 1.5) {
    const x: number[] = [xs[0]], y: number[] = [ys[0]];
    for (let i = 1; i < xs.length - 1; i++) {
      if (dx(xs[i], x[x.length - 1]) >= step || Math.abs(ys[i] - y[y.length - 1]) >= step) x.push(xs[i]), y.push(ys[i]);
    }
    x.push(xs[xs.length - 1]), y.push(ys[ys.length - 1]);
    if (x.length <= maxPoints) return { x, y };
  }
}

/** ROC (x = FPR, y = TPR) for plotting on a log FPR axis down to `minFpr`; at most `maxPoints` points. */
export function plotRoc(curve: Curve, maxPoints = 1000, minFpr = 1e-6): PlotCurve {
  if (curve.positives === 0) return { x: [], y: [] };
  const xs: number[] = [], ys: number[] = [];
  for (let k = 0; k < curve.tp.length; k++) xs.push(fprOf(curve, k)), ys.push(curve.tp[k] / curve.positives);
  const lg = (v: number) => Math.log10(Math.max(v, minFpr));
  const span = -Math.log10(minFpr);
  return thin(xs, ys, (a, b) => Math.abs(lg(a) - lg(b)) / span, maxPoints);
}

/** Precision–recall curve (x = recall, y = precision) for plotting; points that flag nothing are left out. */
export function plotPr(curve: Curve, maxPoints = 1000): PlotCurve {
  if (curve.positives === 0) return { x: [], y: [] };
  const xs: number[] = [], ys: number[] = [];
  for (let k = 0; k < curve.tp.length; k++) {
    const flagged = curve.tp[k] + curve.fp[k];
    if (flagged > 0) xs.push(curve.tp[k] / curve.positives), ys.push(curve.tp[k] / flagged);
  }
  if (xs.length === 0) return { x: [], y: [] };
  return thin(xs, ys, (a, b) => Math.abs(a - b), maxPoints);
}
