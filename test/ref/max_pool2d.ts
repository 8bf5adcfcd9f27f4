// Float64 reference of MaxPool2d 2×2 stride 2 with PyTorch's rule: a later element of a window replaces the max
// only if it is greater or NaN; the gradient goes to that element.
export interface PoolDims {
  n: number;
  c: number;
  h: number;
  w: number;
}

/** Output values and, per output, the flat input index its gradient goes to. */
export function maxPool2dRef(x: Float64Array, d: PoolDims): { y: Float64Array; argmax: Int32Array } {
  const oh = Math.floor(d.h / 2);
  const ow = Math.floor(d.w / 2);
  const y = new Float64Array(d.n * d.c * oh * ow);
  const argmax = new Int32Array(y.length);
  for (let p = 0; p < d.n * d.c; p++) {
    for (let i = 0; i < oh; i++) {
      for (let j = 0; j < ow; j++) {
        let best = -1;
        for (const [r, s] of [[0, 0], [0, 1], [1, 0], [1, 1]]) {
          const k = (p * d.h + 2 * i + r) * d.w + 2 * j + s;
          if (best < 0 || x[k] > x[best] || Number.isNaN(x[k])) best = k;
        }
        const o = (p * oh + i) * ow + j;
        y[o] = x[best];
        argmax[o] = best;
      }
    }
  }
  return { y, argmax };
}

/** dx from dy: each output's gradient added at its argmax. */
export function maxPool2dGradRef(dy: Float64Array, argmax: Int32Array, inputSize: number): Float64Array {
  const dx = new Float64Array(inputSize);
  for (let o = 0; o < dy.length; o++) dx[argmax[o]] += dy[o];
  return dx;
}
