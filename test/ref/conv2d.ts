// Float64 reference of a stride-1 convolution (3×3 with padding 1, or 1×1), NCHW, PyTorch weight layout.
export interface ConvShape {
  n: number;
  cin: number;
  cout: number;
  h: number;
  w: number;
  k: 1 | 3;
}

/** y[n][co][y][x] = b[co] + Σ_ci Σ_taps w[co][ci][ky][kx] · x[n][ci][y + ky − pad][x + kx − pad]. */
export function conv2dRef(x: Float64Array, w: Float64Array, b: Float64Array | null, s: ConvShape): Float64Array {
  const { n, cin, cout, h, w: wd, k } = s;
  const pad = (k - 1) / 2;
  const y = new Float64Array(n * cout * h * wd);
  for (let i = 0; i < n; i++) {
    for (let co = 0; co < cout; co++) {
      const out = (i * cout + co) * h * wd;
      for (let oy = 0; oy < h; oy++) {
        for (let ox = 0; ox < wd; ox++) {
          let sum = b ? b[co] : 0;
          for (let ci = 0; ci < cin; ci++) {
            for (let ky = 0; ky < k; ky++) {
              const iy = oy + ky - pad;
              if (iy < 0 || iy >= h) continue;
              for (let kx = 0; kx < k; kx++) {
                const ix = ox + kx - pad;
                if (ix < 0 || ix >= wd) continue;
                sum += w[((co * cin + ci) * k + ky) * k + kx] * x[((i * cin + ci) * h + iy) * wd + ix];
              }
            }
          }
          y[out + oy * wd + ox] = sum;
        }
      }
    }
  }
  return y;
}
