// Float64 torch.optim.Adam (amsgrad off) for one parameter array, step t 1-based.
export interface AdamRefState {
  m: Float64Array;
  v: Float64Array;
  t: number;
}

export interface AdamRefOptions {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

export function adamRefInit(n: number): AdamRefState {
  return { m: new Float64Array(n), v: new Float64Array(n), t: 0 };
}

/** Updates p and the state in place. */
export function adamRefStep(p: Float64Array, grad: Float64Array, s: AdamRefState, o: AdamRefOptions): void {
  s.t++;
  const bc1 = 1 - o.beta1 ** s.t;
  const bc2 = 1 - o.beta2 ** s.t;
  for (let i = 0; i < p.length; i++) {
    const g = grad[i] + o.weightDecay * p[i];
    s.m[i] = o.beta1 * s.m[i] + (1 - o.beta1) * g;
    s.v[i] = o.beta2 * s.v[i] + (1 - o.beta2) * g * g;
    p[i] -= (o.lr / bc1) * s.m[i] / (Math.sqrt(s.v[i]) / Math.sqrt(bc2) + o.eps);
  }
}
