// Exact ROC/PR metrics: hand-computed cases (worked out in the comments), ties, the ignore mask, edge cases,
// streaming versus one array, a brute-force float64 reference over every threshold, and dilate3x3.
import { describe, expect, it } from "vitest";
import {
  bestPrecisionAtTpr,
  bestTprAtFpr,
  confusion,
  type Curve,
  dilate3x3,
  plotPr,
  plotRoc,
  precisionAtTpr,
  rocCurve,
  ScoreAccumulator,
  thresholdMetrics,
  tprAtFpr,
  bestF1Threshold,
} from "../src/eval/metrics.ts";
import { crMask } from "../src/nn/detect.ts";
import { rand } from "./helpers.ts";

const f = Math.fround;

function curveOf(scores: number[], truth: number[], ignore: number[] | null = null, threshold = 0.5) {
  const acc = new ScoreAccumulator(threshold);
  acc.add(Float32Array.from(scores), truth, ignore);
  return { acc, curve: rocCurve(acc) };
}

function points(c: Curve): [number, number, number][] {
  return Array.from(c.thresholds, (t, k) => [t, c.tp[k], c.fp[k]]);
}

describe("ROC curve and its metrics, by hand", () => {
  // pixel:  0    1    2    3    4    5    6    7
  // score: .9   .8   .7   .7   .6   .4   .3   .1
  // truth:  P    N    P    N    P    N    N    P        4 positives, 4 negatives
  // Thresholds (score ≥ t), descending, with (TP, FP):
  //   +∞ (0,0) · .9 (1,0) · .8 (1,1) · .7 (2,2) tie of a P and an N · .6 (3,2) · .4 (3,3) · .3 (3,4) · .1 (4,4)
  // .4 and .3 add only negatives: .4 lies on the segment (3,2)–(3,4) and is merged; .8 is a one-point run, kept.
  const scores = [0.9, 0.8, 0.7, 0.7, 0.6, 0.4, 0.3, 0.1];
  const truth = [1, 0, 1, 0, 1, 0, 0, 1];

  it("has a point at every distinct threshold (negatives-only runs merged to their end)", () => {
    const { curve } = curveOf(scores, truth);
    expect(curve.positives).toBe(4);
    expect(curve.negatives).toBe(4);
    expect(points(curve)).toEqual([
      [Infinity, 0, 0],
      [f(0.9), 1, 0],
      [f(0.8), 1, 1],
      [f(0.7), 2, 2],
      [f(0.6), 3, 2],
      [f(0.3), 3, 4],
      [f(0.1), 4, 4],
    ]);
  });

  it("TPR at FPR: the largest TPR among points with FPR ≤ target, no interpolation", () => {
    const { curve } = curveOf(scores, truth);
    // FPR of the points: 0, 0, .25, .5, .5, 1, 1
    expect(tprAtFpr(curve, 0)).toBe(0.25); // (.9: 1/4, FPR 0)
    expect(tprAtFpr(curve, 0.25)).toBe(0.25); // (.8: TPR 1/4, FPR 1/4)
    expect(tprAtFpr(curve, 0.49)).toBe(0.25);
    expect(tprAtFpr(curve, 0.5)).toBe(0.75); // (.6: 3/4, FPR 2/4)
    // The merged point .4 (3/4, FPR 3/4) would give the same answer at 0.8: 3/4.
    expect(tprAtFpr(curve, 0.8)).toBe(0.75);
    expect(tprAtFpr(curve, 1)).toBe(1);
  });

  it("precision at TPR: at the first point (highest threshold) reaching the target", () => {
    const { curve } = curveOf(scores, truth);
    expect(precisionAtTpr(curve, 0.25)).toBe(1); // .9: 1/(1+0)
    expect(precisionAtTpr(curve, 0.5)).toBe(0.5); // .7: 2/(2+2)
    expect(precisionAtTpr(curve, 0.75)).toBe(0.6); // .6: 3/(3+2)
    expect(precisionAtTpr(curve, 0.95)).toBe(0.5); // .1: 4/(4+4)
  });

  it("best-F1 threshold: F1 per point .4 .33 .5 .67 .55 .67; the first best (.6), as p > the float32 below .6", () => {
    const { curve } = curveOf(scores, truth);
    const best = bestF1Threshold(curve)!;
    expect(best.f1).toBeCloseTo(2 / 3, 12);
    expect(best.threshold).toBeLessThan(f(0.6));
    const mask = crMask(Float32Array.from(scores), best.threshold);
    expect([...mask]).toEqual([1, 1, 1, 1, 1, 0, 0, 0]);
    expect(bestF1Threshold(curveOf([0.5, 0.2], [0, 0]).curve)).toBeNull();
  });

  it("threshold metrics at 0.5 (score > 0.5)", () => {
    // Flagged: .9 P, .8 N, .7 P, .7 N, .6 P → TP 3, FP 2; missed .1 P → FN 1; .4, .3 N → TN 2.
    const { acc } = curveOf(scores, truth);
    const m = thresholdMetrics(acc.atThreshold, 0.5);
    expect(m).toEqual({
      threshold: 0.5,
      tp: 3,
      fp: 2,
      fn: 1,
      tn: 2,
      precision: 3 / 5,
      recall: 3 / 4,
      f1: 6 / 9, // 2TP / (2TP + FP + FN)
      iou: 3 / 6, // TP / (TP + FP + FN)
      fdr: 2 / 5, // FP / (TP + FP)
      fpr: 2 / 4,
    });
  });

  it("a score equal to the threshold is not flagged (p > t, crMask's rule)", () => {
    // t = .7: flagged .9 P, .8 N only → TP 1, FP 1, FN 3, TN 3.
    const { acc } = curveOf(scores, truth, null, f(0.7));
    expect(acc.atThreshold).toEqual({ tp: 1, fp: 1, fn: 3, tn: 3 });
  });

  it("ignore-mask pixels are left out of the curve and the counts", () => {
    // Ignore pixels 1 (.8 N) and 7 (.1 P): P = {.9, .7, .6}, N = {.7, .4, .3}.
    // +∞ (0,0) · .9 (1,0) · .7 (2,1) · .6 (3,1) · .4 (3,2) merged · .3 (3,3)
    const ignore = [0, 1, 0, 0, 0, 0, 0, 1];
    const { acc, curve } = curveOf(scores, truth, ignore);
    expect(acc.ignored).toBe(2);
    expect([curve.positives, curve.negatives]).toEqual([3, 3]);
    expect(points(curve)).toEqual([[Infinity, 0, 0], [f(0.9), 1, 0], [f(0.7), 2, 1], [f(0.6), 3, 1], [f(0.3), 3, 3]]);
    expect(tprAtFpr(curve, 0.3)).toBe(1 / 3); // only .9 has FPR ≤ .3
    expect(tprAtFpr(curve, 1 / 3)).toBe(1); // .6: FPR 1/3
    // At 0.5: flagged .9 P, .7 P, .7 N, .6 P → TP 3, FP 1, FN 0, TN 2.
    expect(acc.atThreshold).toEqual({ tp: 3, fp: 1, fn: 0, tn: 2 });
  });

  it("ties of many pixels, +0 and −0 are one threshold", () => {
    // Scores 0, −0, .5 ×3; truth P, N, P, P, N → thresholds .5 (2,1), 0 (3,2).
    const { curve } = curveOf([0, -0, 0.5, 0.5, 0.5], [1, 0, 1, 1, 0]);
    expect(points(curve)).toEqual([[Infinity, 0, 0], [0.5, 2, 1], [0, 3, 2]]);
  });

  it("all negatives: TPR and precision are undefined (null), not NaN", () => {
    // Scores .2 N, .8 N: at 0.5 FP 1, TN 1 → precision 0/1 = 0, recall 0/0, F1 0/(0+1+0) = 0, FDR 1/1.
    const { acc, curve } = curveOf([0.2, 0.8], [0, 0]);
    expect(tprAtFpr(curve, 1e-4)).toBeNull();
    expect(precisionAtTpr(curve, 0.95)).toBeNull();
    const m = thresholdMetrics(acc.atThreshold, 0.5);
    expect([m.precision, m.recall, m.f1, m.iou, m.fdr]).toEqual([0, null, 0, 0, 1]);
  });

  it("all positives: FPR is 0 everywhere, so TPR at any FPR is 1", () => {
    // Scores .2 P, .8 P: points +∞ (0,0), .8 (1,0), .2 (2,0). At 0.5: TP 1, FN 1 → F1 2/3, IoU 1/2, FDR 0.
    const { acc, curve } = curveOf([0.2, 0.8], [1, 1]);
    expect(tprAtFpr(curve, 1e-4)).toBe(1);
    expect(precisionAtTpr(curve, 0.95)).toBe(1);
    const m = thresholdMetrics(acc.atThreshold, 0.5);
    expect([m.precision, m.recall, m.f1, m.iou, m.fdr, m.fpr]).toEqual([1, 0.5, 2 / 3, 0.5, 0, null]);
  });

  it("nothing counted: only the +∞ point, every ratio null", () => {
    const { acc, curve } = curveOf([0.3, 0.9], [1, 0], [1, 1]);
    expect(points(curve)).toEqual([[Infinity, 0, 0]]);
    expect(tprAtFpr(curve, 1e-3)).toBeNull();
    const m = thresholdMetrics(acc.atThreshold, 0.5);
    expect([m.precision, m.recall, m.f1, m.iou, m.fdr]).toEqual([null, null, null, null, null]);
  });

  it("TPR at FPR is 0 when even the top score's FPR is above the target", () => {
    // Top score is a negative: .9 N (0,1), .5 P (1,1); FPR of .9 is 1/1 > 1e-4 → only +∞ qualifies → TPR 0.
    const { curve } = curveOf([0.9, 0.5], [0, 1]);
    expect(tprAtFpr(curve, 1e-4)).toBe(0);
  });

  it("refuses NaN / infinite scores and mismatched lengths", () => {
    const acc = new ScoreAccumulator();
    expect(() => acc.add(Float32Array.of(0.1, NaN), [0, 1])).toThrow(/pixel 1 is NaN/);
    expect(() => acc.add(Float32Array.of(Infinity), [0])).toThrow(/finite/);
    expect(() => acc.add(Float32Array.of(0.1), [0, 1])).toThrow(/1 pixels, truth has 2/);
  });
});

/** Brute force over every distinct threshold, float64, no merging. */
function bruteForce(scores: Float32Array, truth: Uint8Array, ignore: Uint8Array) {
  const ts = [...new Set(Array.from(scores).filter((_, i) => !ignore[i]))].sort((a, b) => b - a);
  let P = 0, N = 0;
  for (let i = 0; i < scores.length; i++) if (!ignore[i]) truth[i] ? P++ : N++;
  const pts = [Infinity, ...ts].map((t) => {
    let tp = 0, fp = 0;
    for (let i = 0; i < scores.length; i++) if (!ignore[i] && scores[i] >= t) truth[i] ? tp++ : fp++;
    return { t, tp, fp };
  });
  const tprAt = (target: number) => Math.max(...pts.filter((p) => p.fp / N <= target).map((p) => p.tp / P));
  const precAt = (target: number) => {
    const p = pts.find((q) => q.tp / P >= target)!;
    return p.tp / (p.tp + p.fp);
  };
  return { pts, P, N, tprAt, precAt };
}

/** Scores with many ties, values across binades (1e-30 … 1) and exact zeros. */
function scoresFor(n: number, seed: number): Float32Array {
  const u = rand(2 * n, seed, 0, 1);
  return Float32Array.from({ length: n }, (_, i) => {
    const kind = Math.floor(u[2 * i] * 4);
    if (kind === 0) return Math.round(u[2 * i + 1] * 20) / 20; // 21 tied levels
    if (kind === 1) return 10 ** (-30 * u[2 * i + 1]);
    if (kind === 2) return 0;
    return u[2 * i + 1];
  });
}

describe("against a brute-force reference", () => {
  const n = 3000;
  const scores = scoresFor(n, 7);
  const u = rand(2 * n, 8, 0, 1);
  // Positives more likely at high scores, so the curve is not trivial.
  const truth = Uint8Array.from(scores, (s, i) => (u[i] < 0.05 + 0.5 * s ? 1 : 0));
  const ignore = Uint8Array.from({ length: n }, (_, i) => (u[n + i] < 0.1 ? 1 : 0));
  const ref = bruteForce(scores, truth, ignore);

  it("every stored point is the brute-force point at its threshold; all metrics agree", () => {
    const { curve } = (() => {
      const acc = new ScoreAccumulator();
      acc.add(scores, truth, ignore);
      return { curve: rocCurve(acc) };
    })();
    expect([curve.positives, curve.negatives]).toEqual([ref.P, ref.N]);
    const byT = new Map(ref.pts.map((p) => [p.t, p]));
    for (let k = 0; k < curve.tp.length; k++) {
      const p = byT.get(curve.thresholds[k])!;
      expect([curve.tp[k], curve.fp[k]]).toEqual([p.tp, p.fp]);
    }
    // Every brute-force point whose threshold adds a positive is kept.
    const kept = new Set(curve.thresholds);
    for (let k = 1; k < ref.pts.length; k++) {
      if (ref.pts[k].tp > ref.pts[k - 1].tp) expect(kept.has(ref.pts[k].t)).toBe(true);
    }
    expect(curve.tp.length).toBeLessThan(ref.pts.length);
    for (const target of [0, 1e-4, 1e-3, 0.01, 0.05, 0.2, 0.5, 0.9, 1]) {
      expect(tprAtFpr(curve, target), `TPR at FPR ${target}`).toBe(ref.tprAt(target));
    }
    for (const target of [0.01, 0.3, 0.5, 0.9, 0.95, 0.999, 1]) {
      expect(precisionAtTpr(curve, target), `precision at TPR ${target}`).toBe(ref.precAt(target));
    }
  });

  it("streaming over chunks (and merging accumulators) equals one big array", () => {
    const one = new ScoreAccumulator();
    one.add(scores, truth, ignore);
    const whole = rocCurve(one);
    const cuts = [0, 17, 1000, 1001, 2500, n];
    const streamed = new ScoreAccumulator();
    const parts: ScoreAccumulator[] = [];
    for (let c = 0; c + 1 < cuts.length; c++) {
      const [a, b] = [cuts[c], cuts[c + 1]];
      streamed.add(scores.slice(a, b), truth.subarray(a, b), ignore.subarray(a, b));
      const p = new ScoreAccumulator();
      p.add(scores.slice(a, b), truth.subarray(a, b), ignore.subarray(a, b));
      parts.push(p);
    }
    for (const c of [rocCurve(streamed), rocCurve(parts)]) {
      expect(points(c)).toEqual(points(whole));
      expect([c.positives, c.negatives]).toEqual([whole.positives, whole.negatives]);
    }
    expect(streamed.atThreshold).toEqual(one.atThreshold);
    expect(parts.reduce((a, p) => a + p.atThreshold.tp, 0)).toBe(one.atThreshold.tp);
  });

  it("the fixed-threshold confusion equals confusion() of the thresholded mask", () => {
    const acc = new ScoreAccumulator(0.5);
    acc.add(scores, truth, ignore);
    expect(acc.atThreshold).toEqual(confusion(Array.from(scores, (s) => (s > 0.5 ? 1 : 0)), truth, ignore));
  });

  it("plot copies are thinned to the limit, keep both ends (6 digits), and stay within [0, 1]", () => {
    const acc = new ScoreAccumulator();
    acc.add(scores, truth, ignore);
    const curve = rocCurve(acc);
    const roc = plotRoc(curve, 50), pr = plotPr(curve, 50);
    expect(roc.x.length).toBeLessThanOrEqual(50);
    expect([roc.x[0], roc.y[0]]).toEqual([0, 0]);
    expect([roc.x.at(-1), roc.y.at(-1)]).toEqual([1, 1]);
    expect(pr.x.at(-1)).toBe(1);
    expect(pr.y.at(-1)).toBe(Number((ref.P / (ref.P + ref.N)).toPrecision(6))); // plot copies keep 6 digits
    for (const v of [...roc.x, ...roc.y, ...pr.x, ...pr.y]) expect(v >= 0 && v <= 1).toBe(true);
  });
});

describe("operating-point families (LACosmic sweep)", () => {
  // A: TP 5, FN 5, FP 1, TN 9999 → TPR .5, FPR 1e-4, precision 5/6
  // B: TP 8, FN 2, FP 20, TN 9980 → TPR .8, FPR 2e-3, precision 8/28
  const A = { tp: 5, fn: 5, fp: 1, tn: 9999 }, B = { tp: 8, fn: 2, fp: 20, tn: 9980 };
  it("TPR at FPR: the best TPR among points with FPR ≤ target, 0 if none", () => {
    expect(bestTprAtFpr([A, B], 1e-4)).toBe(0.5);
    expect(bestTprAtFpr([A, B], 1e-3)).toBe(0.5);
    expect(bestTprAtFpr([A, B], 1e-2)).toBe(0.8);
    expect(bestTprAtFpr([B], 1e-4)).toBe(0);
  });
  it("precision at TPR: the best precision among points with TPR ≥ target, null if none", () => {
    expect(bestPrecisionAtTpr([A, B], 0.5)).toBe(5 / 6);
    expect(bestPrecisionAtTpr([A, B], 0.75)).toBe(8 / 28);
    expect(bestPrecisionAtTpr([A, B], 0.95)).toBeNull();
  });
});

describe("dilate3x3", () => {
  /** Float64 reference: max over the in-image 3×3 neighbourhood. */
  function ref(v: ArrayLike<number>, w: number, h: number): number[] {
    const out: number[] = [];
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let m = -Infinity;
        for (let dy = -1; dy <= 1; dy++) {
          for (let dx = -1; dx <= 1; dx++) {
            const yy = y + dy, xx = x + dx;
            if (yy >= 0 && yy < h && xx >= 0 && xx < w) m = Math.max(m, v[yy * w + xx]);
          }
        }
        out.push(m);
      }
    }
    return out;
  }

  it("equals the brute-force max filter on odd shapes, edges included", () => {
    for (const [w, h, seed] of [[7, 5, 1], [1, 1, 2], [1, 9, 3], [9, 1, 4], [2, 2, 5], [33, 17, 6]]) {
      const v = Float32Array.from(rand(w * h, seed, -1, 1));
      expect(Array.from(dilate3x3(v, w, h)), `${w}×${h}`).toEqual(ref(v, w, h));
    }
  });

  it("dilates a 0/1 mask (uint8) into 3×3 blocks, clipped at the border", () => {
    // 5×4, pixels (0,0) and (3,2) set.
    const m = new Uint8Array(20);
    m[0] = 1, m[2 * 5 + 3] = 1;
    const d = dilate3x3(m, 5, 4);
    expect(d).toBeInstanceOf(Uint8Array);
    // deno-fmt-ignore
    expect(Array.from(d)).toEqual([
      1, 1, 0, 0, 0,
      1, 1, 1, 1, 1,
      0, 0, 1, 1, 1,
      0, 0, 1, 1, 1,
    ]);
  });

  it("refuses a size that does not match", () => {
    expect(() => dilate3x3(new Float32Array(5), 2, 2)).toThrow(/5 values for 2 × 2/);
  });
});
