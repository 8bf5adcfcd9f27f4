// Float64 references for BatchNorm2d (PyTorch semantics). Pure: nothing here mutates its inputs.

export type Shape4 = [number, number, number, number];

export interface ChannelStats {
  mean: Float64Array;
  /** Biased variance (divides by N·H·W). */
  variance: Float64Array;
}

/** Per-channel mean and biased variance over N·H·W (two passes). */
export function channelStatsRef(x: Float64Array, [n, c, h, w]: Shape4): ChannelStats {
  const plane = h * w;
  const mean = new Float64Array(c);
  const variance = new Float64Array(c);
  for (let ch = 0; ch < c; ch++) {
    let s = 0;
    for (let b = 0; b < n; b++) for (let i = 0; i < plane; i++) s += x[(b * c + ch) * plane + i];
    const m = s / (n * plane);
    let v = 0;
    for (let b = 0; b < n; b++) for (let i = 0; i < plane; i++) v += (x[(b * c + ch) * plane + i] - m) ** 2;
    mean[ch] = m;
    variance[ch] = v / (n * plane);
  }
  return { mean, variance };
}

/** y = (x − mean)/sqrt(var + eps)·w + b with the given per-channel statistics. */
export function normalizeRef(
  x: Float64Array,
  [n, c, h, w]: Shape4,
  stats: ChannelStats,
  weight: Float64Array | null,
  bias: Float64Array | null,
  eps: number,
): Float64Array {
  const plane = h * w;
  const y = new Float64Array(x.length);
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      const invstd = 1 / Math.sqrt(stats.variance[ch] + eps);
      const g = weight ? weight[ch] : 1;
      const beta = bias ? bias[ch] : 0;
      for (let i = 0; i < plane; i++) {
        const k = (b * c + ch) * plane + i;
        y[k] = (x[k] - stats.mean[ch]) * invstd * g + beta;
      }
    }
  }
  return y;
}

/** Training-mode BN: normalised with the batch statistics. */
export function batchNorm2dTrainRef(
  x: Float64Array,
  shape: Shape4,
  weight: Float64Array | null,
  bias: Float64Array | null,
  eps = 1e-5,
): Float64Array {
  return normalizeRef(x, shape, channelStatsRef(x, shape), weight, bias, eps);
}

/** Eval-mode BN: normalised with the running statistics. */
export function batchNorm2dEvalRef(
  x: Float64Array,
  shape: Shape4,
  runningMean: Float64Array,
  runningVar: Float64Array,
  weight: Float64Array | null,
  bias: Float64Array | null,
  eps = 1e-5,
): Float64Array {
  return normalizeRef(x, shape, { mean: runningMean, variance: runningVar }, weight, bias, eps);
}

/** Running statistics after one training-mode call: (1 − m)·r + m·batch, with the unbiased batch variance. */
export function runningStatsRef(
  x: Float64Array,
  shape: Shape4,
  runningMean: Float64Array,
  runningVar: Float64Array,
  momentum: number,
): { mean: Float64Array; variance: Float64Array } {
  const count = shape[0] * shape[2] * shape[3];
  const s = channelStatsRef(x, shape);
  return {
    mean: runningMean.map((r, ch) => (1 - momentum) * r + momentum * s.mean[ch]),
    variance: runningVar.map((r, ch) => (1 - momentum) * r + momentum * s.variance[ch] * count / (count - 1)),
  };
}

/** Analytic training-mode gradients (for tensors too large for finite differences). */
export function batchNorm2dTrainBackwardRef(
  x: Float64Array,
  dy: Float64Array,
  [n, c, h, w]: Shape4,
  weight: Float64Array | null,
  eps = 1e-5,
): { dx: Float64Array; dweight: Float64Array; dbias: Float64Array } {
  const plane = h * w;
  const count = n * plane;
  const s = channelStatsRef(x, [n, c, h, w]);
  const dx = new Float64Array(x.length);
  const dweight = new Float64Array(c);
  const dbias = new Float64Array(c);
  for (let ch = 0; ch < c; ch++) {
    const invstd = 1 / Math.sqrt(s.variance[ch] + eps);
    const idx = (b: number, i: number) => (b * c + ch) * plane + i;
    let sdy = 0;
    let sdyx = 0;
    for (let b = 0; b < n; b++) {
      for (let i = 0; i < plane; i++) {
        sdy += dy[idx(b, i)];
        sdyx += dy[idx(b, i)] * (x[idx(b, i)] - s.mean[ch]) * invstd;
      }
    }
    dweight[ch] = sdyx;
    dbias[ch] = sdy;
    const g = weight ? weight[ch] : 1;
    for (let b = 0; b < n; b++) {
      for (let i = 0; i < plane; i++) {
        const xhat = (x[idx(b, i)] - s.mean[ch]) * invstd;
        dx[idx(b, i)] = g * invstd * (dy[idx(b, i)] - sdy / count - xhat * sdyx / count);
      }
    }
  }
  return { dx, dweight, dbias };
}
