// Float64 reference of ConvTranspose2d, kernel 2×2, stride 2 (PyTorch layout w[ci][co][dy][dx]), and its gradients.
export interface Dims {
  n: number;
  cin: number;
  cout: number;
  h: number;
  w: number;
}

/** y[n,co,2i+di,2j+dj] = b[co] + Σ_ci x[n,ci,i,j]·w[ci,co,di,dj]. */
export function convTranspose2dRef(x: Float64Array, w: Float64Array, b: Float64Array | null, d: Dims): Float64Array {
  const { n, cin, cout, h, w: wd } = d;
  const y = new Float64Array(n * cout * 4 * h * wd);
  for (let s = 0; s < n; s++) {
    for (let co = 0; co < cout; co++) {
      for (let i = 0; i < h; i++) {
        for (let j = 0; j < wd; j++) {
          for (let t = 0; t < 4; t++) {
            const di = t >> 1;
            const dj = t & 1;
            let v = b ? b[co] : 0;
            for (let ci = 0; ci < cin; ci++) v += x[((s * cin + ci) * h + i) * wd + j] * w[(ci * cout + co) * 4 + t];
            y[((s * cout + co) * 2 * h + 2 * i + di) * 2 * wd + 2 * j + dj] = v;
          }
        }
      }
    }
  }
  return y;
}

/** dx, dw and db from dy by the formulas of the backward pass (used where finite differences would be too slow). */
export function convTranspose2dGradsRef(x: Float64Array, w: Float64Array, dy: Float64Array, d: Dims) {
  const { n, cin, cout, h, w: wd } = d;
  const dx = new Float64Array(x.length);
  const dw = new Float64Array(w.length);
  const db = new Float64Array(cout);
  for (let s = 0; s < n; s++) {
    for (let co = 0; co < cout; co++) {
      for (let i = 0; i < h; i++) {
        for (let j = 0; j < wd; j++) {
          for (let t = 0; t < 4; t++) {
            const g = dy[((s * cout + co) * 2 * h + 2 * i + (t >> 1)) * 2 * wd + 2 * j + (t & 1)];
            db[co] += g;
            for (let ci = 0; ci < cin; ci++) {
              const xi = ((s * cin + ci) * h + i) * wd + j;
              dx[xi] += g * w[(ci * cout + co) * 4 + t];
              dw[(ci * cout + co) * 4 + t] += g * x[xi];
            }
          }
        }
      }
    }
  }
  return { dx, dw, db };
}
