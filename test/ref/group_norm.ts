// Float64 references for GroupNorm (PyTorch semantics). Pure: nothing here mutates its inputs.

export type Shape4 = [number, number, number, number];

/** y = (x − mean)/sqrt(var + eps)·w + b per (sample, group of C/G channels), biased var, two passes. */
export function groupNormRef(
  x: Float64Array,
  [n, c, h, w]: Shape4,
  groups: number,
  weight: Float64Array | null,
  bias: Float64Array | null,
  eps = 1e-5,
): Float64Array {
  const len = (c / groups) * h * w;
  const plane = h * w;
  const y = new Float64Array(x.length);
  for (let slot = 0; slot < n * groups; slot++) {
    // The channels of a group are consecutive: one run of `len` elements.
    const start = slot * len;
    let s = 0;
    for (let i = 0; i < len; i++) s += x[start + i];
    const mean = s / len;
    let v = 0;
    for (let i = 0; i < len; i++) v += (x[start + i] - mean) ** 2;
    const invstd = 1 / Math.sqrt(v / len + eps);
    for (let i = 0; i < len; i++) {
      const ch = ((start + i - (start + i) % plane) / plane) % c;
      y[start + i] = (x[start + i] - mean) * invstd * (weight ? weight[ch] : 1) + (bias ? bias[ch] : 0);
    }
  }
  return y;
}

/** Analytic gradients (for tensors too large for finite differences). */
export function groupNormBackwardRef(
  x: Float64Array,
  dy: Float64Array,
  [n, c, h, w]: Shape4,
  groups: number,
  weight: Float64Array | null,
  eps = 1e-5,
): { dx: Float64Array; dweight: Float64Array; dbias: Float64Array } {
  const len = (c / groups) * h * w;
  const plane = h * w;
  const dx = new Float64Array(x.length);
  const dweight = new Float64Array(c);
  const dbias = new Float64Array(c);
  const channelOf = (k: number) => Math.floor(k / plane) % c;
  for (let slot = 0; slot < n * groups; slot++) {
    const start = slot * len;
    let s = 0;
    for (let i = 0; i < len; i++) s += x[start + i];
    const mean = s / len;
    let v = 0;
    for (let i = 0; i < len; i++) v += (x[start + i] - mean) ** 2;
    const invstd = 1 / Math.sqrt(v / len + eps);
    // g = dy·w is the gradient with respect to x̂.
    let sg = 0;
    let sgx = 0;
    for (let i = 0; i < len; i++) {
      const k = start + i;
      const xhat = (x[k] - mean) * invstd;
      const g = dy[k] * (weight ? weight[channelOf(k)] : 1);
      sg += g;
      sgx += g * xhat;
      dweight[channelOf(k)] += dy[k] * xhat;
      dbias[channelOf(k)] += dy[k];
    }
    for (let i = 0; i < len; i++) {
      const k = start + i;
      const xhat = (x[k] - mean) * invstd;
      const g = dy[k] * (weight ? weight[channelOf(k)] : 1);
      dx[k] = invstd * (g - sg / len - xhat * sgx / len);
    }
  }
  return { dx, dweight, dbias };
}
