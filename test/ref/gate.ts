// Float64 reference of the attention gate's product y[n,c,h,w] = x[n,c,h,w]·psi[n,0,h,w].
export function gateRef(x: Float64Array, psi: Float64Array, n: number, c: number, plane: number): Float64Array {
  const y = new Float64Array(n * c * plane);
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      for (let i = 0; i < plane; i++) y[(b * c + ch) * plane + i] = x[(b * c + ch) * plane + i] * psi[b * plane + i];
    }
  }
  return y;
}
