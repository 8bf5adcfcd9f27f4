// Exact ROC / precision–recall curves over every pixel, streamed chunk by chunk.
//
// Each pixel's score is kept exactly (float32), so the curve has a point at every distinct score: no sampling, no
// binning. Storage: scores are split by the top 16 bits of an order-preserving key made from their float32 bits
// (one bucket per 1/128 of a binade); inside a bucket only the low 16 bits are stored (Uint16, 2 bytes per pixel),
// in pages that never move. At the end each bucket is sorted on its own, from the highest bucket down. So 10⁸
// pixels take ~200 MB and a few seconds, and curves of several accumulators (subsets) merge without copies.
//
// Curve points: predicted positive ⇔ score ≥ threshold. Point 0 is threshold +∞ (nothing flagged); then one point
// per distinct score, descending. Points inside a run of consecutive thresholds that add only negatives (TP
// unchanged) lie on the straight segment between the run's ends, so only the run's last point is stored: the
// curve (as a polyline) and every metric computed from it are unchanged (see metrics.ts), while the point count
// stays ≤ 2·(distinct positive scores) + 2 instead of one per pixel.

const PAGE_FIRST = 64;
const PAGE_MAX = 1 << 16;

/** A growable list of Uint16 values in pages that are never copied (page sizes double up to 65,536). */
export class U16Pages {
  pages: Uint16Array[] = [];
  fill = 0; // used entries in the last page
  count = 0;

  push(v: number): void {
    let last = this.pages[this.pages.length - 1];
    if (last === undefined || this.fill === last.length) {
      const size = last === undefined ? PAGE_FIRST : Math.min(PAGE_MAX, last.length * 2);
      last = new Uint16Array(size);
      this.pages.push(last);
      this.fill = 0;
    }
    last[this.fill++] = v;
    this.count++;
  }

  /** Copies every value into `out` from `at`; returns the new end. */
  copyTo(out: Uint16Array, at: number): number {
    for (let p = 0; p < this.pages.length; p++) {
      const page = this.pages[p];
      const n = p === this.pages.length - 1 ? this.fill : page.length;
      out.set(page.subarray(0, n), at);
      at += n;
    }
    return at;
  }
}

/** Counts of the confusion matrix at one threshold. */
export interface Confusion {
  tp: number;
  fp: number;
  fn: number;
  tn: number;
}

/**
 * ROC curve as parallel arrays. Point k: pixels with score ≥ thresholds[k] are called positive; tp[k] of them are
 * CR pixels, fp[k] are not. Point 0 has threshold +Infinity and tp = fp = 0; the last point flags every pixel.
 */
export interface Curve {
  thresholds: Float64Array;
  tp: Float64Array;
  fp: Float64Array;
  /** CR pixels counted (ignore-mask pixels left out). */
  positives: number;
  /** Non-CR pixels counted. */
  negatives: number;
}

/** Order-preserving key of a float32's bits: unsigned comparison of keys = numeric comparison of values. */
function keyOf(bits: number): number {
  if (bits === 0x80000000) bits = 0; // −0 and +0 are the same score
  return (bits & 0x80000000 ? ~bits : bits | 0x80000000) >>> 0;
}

const keyBits = new Uint32Array(1);
const keyFloat = new Float32Array(keyBits.buffer);

/** The float32 value of a key (inverse of keyOf). */
function valueOf(key: number): number {
  keyBits[0] = key & 0x80000000 ? key & 0x7fffffff : ~key;
  return keyFloat[0];
}

/**
 * Accumulates per-pixel scores of CR (positive) and non-CR (negative) pixels over any number of chunks, and the
 * confusion matrix at one fixed threshold (score > threshold, the `crMask` rule).
 */
export class ScoreAccumulator {
  readonly threshold: number;
  // Indexed by the key's top 16 bits; most entries stay empty.
  private readonly pos: (U16Pages | undefined)[] = new Array(1 << 16);
  private readonly neg: (U16Pages | undefined)[] = new Array(1 << 16);
  private readonly used = new Set<number>();
  positives = 0;
  negatives = 0;
  /** Pixels left out by the ignore mask. */
  ignored = 0;
  /** Confusion at `threshold` (predicted positive ⇔ score > threshold). */
  readonly atThreshold: Confusion = { tp: 0, fp: 0, fn: 0, tn: 0 };

  constructor(threshold = 0.5) {
    if (!Number.isFinite(threshold)) throw new RangeError(`threshold ${threshold} is not a finite number`);
    this.threshold = threshold;
  }

  /**
   * Adds one chunk. `truth`: non-zero = CR pixel. `ignore` (optional): non-zero = leave the pixel out. Scores must
   * be finite (the curve's first point, threshold +∞, is "nothing flagged").
   */
  add(scores: Float32Array, truth: ArrayLike<number>, ignore: ArrayLike<number> | null = null): void {
    const n = scores.length;
    if (truth.length !== n) throw new RangeError(`scores have ${n} pixels, truth has ${truth.length}`);
    if (ignore && ignore.length !== n) throw new RangeError(`scores have ${n} pixels, ignore has ${ignore.length}`);
    const bits = new Uint32Array(scores.buffer, scores.byteOffset, n);
    const t = this.threshold, c = this.atThreshold;
    for (let i = 0; i < n; i++) {
      if (ignore && ignore[i]) {
        this.ignored++;
        continue;
      }
      const s = scores[i];
      if (s - s !== 0) throw new RangeError(`score at pixel ${i} is ${s}: scores must be finite`);
      const key = keyOf(bits[i]);
      const hi = key >>> 16;
      const positive = truth[i] !== 0;
      const buckets = positive ? this.pos : this.neg;
      let pages = buckets[hi];
      if (pages === undefined) (pages = buckets[hi] = new U16Pages()), this.used.add(hi);
      pages.push(key & 0xffff);
      if (positive) {
        this.positives++;
        if (s > t) c.tp++;
        else c.fn++;
      } else {
        this.negatives++;
        if (s > t) c.fp++;
        else c.tn++;
      }
    }
  }

  /** Buckets in use (top 16 bits of the key). */
  bucketKeys(): number[] {
    return [...this.used];
  }

  /** @internal The stored low 16 bits of one bucket's positive and negative scores (for rocCurve). */
  bucket(hi: number): [U16Pages | undefined, U16Pages | undefined] {
    return [this.pos[hi], this.neg[hi]];
  }
}

/** Sum of the fixed-threshold confusion matrices of several accumulators. */
export function sumConfusion(list: readonly Confusion[]): Confusion {
  const c = { tp: 0, fp: 0, fn: 0, tn: 0 };
  for (const x of list) (c.tp += x.tp), (c.fp += x.fp), (c.fn += x.fn), (c.tn += x.tn);
  return c;
}

function gather(parts: (U16Pages | undefined)[]): Uint16Array {
  const total = parts.reduce((a, p) => a + (p?.count ?? 0), 0);
  const out = new Uint16Array(total);
  let at = 0;
  for (const p of parts) if (p) at = p.copyTo(out, at);
  return out.sort();
}

/** Exact ROC curve of one or several accumulators taken together (e.g. the leaves making up a subset). */
export function rocCurve(accs: ScoreAccumulator | readonly ScoreAccumulator[]): Curve {
  const list = accs instanceof ScoreAccumulator ? [accs] : accs;
  const his = [...new Set(list.flatMap((a) => a.bucketKeys()))].sort((a, b) => b - a); // descending scores
  const th: number[] = [Infinity], tpOut: number[] = [0], fpOut: number[] = [0];
  let tp = 0, fp = 0;
  let pending: [number, number, number] | null = null; // end of a negatives-only run, not yet stored
  for (const hi of his) {
    const pos = gather(list.map((a) => a.bucket(hi)[0]));
    const neg = gather(list.map((a) => a.bucket(hi)[1]));
    // Merge the two ascending lists from their ends: distinct values, descending.
    let i = pos.length - 1, j = neg.length - 1;
    while (i >= 0 || j >= 0) {
      const v = Math.max(i >= 0 ? pos[i] : -1, j >= 0 ? neg[j] : -1);
      let dp = 0, dn = 0;
      while (i >= 0 && pos[i] === v) dp++, i--;
      while (j >= 0 && neg[j] === v) dn++, j--;
      tp += dp;
      fp += dn;
      const threshold = valueOf(((hi << 16) | v) >>> 0);
      if (dp === 0) {
        pending = [threshold, tp, fp];
        continue;
      }
      if (pending) th.push(pending[0]), tpOut.push(pending[1]), fpOut.push(pending[2]), (pending = null);
      th.push(threshold), tpOut.push(tp), fpOut.push(fp);
    }
  }
  if (pending) th.push(pending[0]), tpOut.push(pending[1]), fpOut.push(pending[2]);
  const positives = list.reduce((a, x) => a + x.positives, 0);
  const negatives = list.reduce((a, x) => a + x.negatives, 0);
  return {
    thresholds: Float64Array.from(th),
    tp: Float64Array.from(tpOut),
    fp: Float64Array.from(fpOut),
    positives,
    negatives,
  };
}
