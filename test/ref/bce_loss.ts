// Float64 reference of nn.BCELoss(reduction="mean") with PyTorch's −100 clamp on each log, an optional weight and
// an optional ignore mask (mean over kept pixels; 0 when nothing is kept).
export interface BceRefOptions {
  weight?: Float64Array;
  ignore?: Float64Array;
}

const log = (v: number) => Math.max(Math.log(v), -100);
const log1m = (p: number) => Math.max(Math.log1p(-p), -100);

export function bceRef(p: Float64Array, t: Float64Array, o: BceRefOptions = {}): Float64Array {
  let sum = 0;
  let kept = 0;
  for (let i = 0; i < p.length; i++) {
    const keep = o.ignore ? 1 - o.ignore[i] : 1;
    const l = -(t[i] * log(p[i]) + (1 - t[i]) * log1m(p[i]));
    sum += keep * (o.weight ? o.weight[i] : 1) * l;
    kept += keep;
  }
  return Float64Array.of(kept > 0 ? sum / kept : 0);
}

/** PyTorch's backward formula, g·(p − t)/max((1 − p)·p, 1e-12)·w·keep/kept (defined where p is 0 or 1 too). */
export function bceGradRef(p: Float64Array, t: Float64Array, g: number, o: BceRefOptions = {}): Float64Array {
  let kept = 0;
  for (let i = 0; i < p.length; i++) kept += o.ignore ? 1 - o.ignore[i] : 1;
  return p.map((v, i) => {
    if (kept === 0) return 0;
    const keep = o.ignore ? 1 - o.ignore[i] : 1;
    return g * (v - t[i]) / Math.max((1 - v) * v, 1e-12) * (o.weight ? o.weight[i] : 1) * keep / kept;
  });
}
