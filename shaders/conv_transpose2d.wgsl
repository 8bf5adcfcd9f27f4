// ConvTranspose2d with a 2×2 kernel and stride 2 (PyTorch layout: w[ci][co][dy][dx], bias[co]).
// Stride = kernel, so each output pixel (2i+di, 2j+dj) gets exactly one tap:
//   y[n,co,2i+di,2j+dj] = b[co] + Σ_ci x[n,ci,i,j]·w[ci,co,di,dj]
// On llvmpipe every storage load is a loop over the 8 SIMD lanes, so the fast kernels load vec4s (4 pixels of a
// row, or the 4 taps of one (ci, co) pair) and keep large register tiles; the `_any` kernels handle widths that are
// not a multiple of 4 with scalar loads. Tensors are bound per chunk (src/kernels/conv_transpose2d.ts): `base_x`
// and `base_y` locate the chunk inside its bindings, the channel ranges say which channels the chunk holds.
override WG: u32 = 64u;
// The reductions add into the destination instead of overwriting it (the later chunks of a split reduction). A
// pipeline constant, not a parameter: a branch around every store makes LLVM compile big kernels several times
// slower, so the forward and input-gradient kernels never accumulate; their split chunks go through add_chunk.
override ACCUMULATE: bool = false;

struct Params {
  cin: u32,        // channels of x (the stride between samples in x and dx)
  cout: u32,       // channels of y
  h: u32,          // input height and width
  w: u32,
  n: u32,          // samples in this chunk
  ci0: u32,        // input channels of this chunk: [ci0, ci0 + ci_count)
  ci_count: u32,
  co0: u32,        // output channels of this chunk: [co0, co0 + co_count)
  co_count: u32,
  base_x: u32,     // element index of the chunk's first element in the x-side binding (x, dx)
  base_y: u32,     // ... in the y-side binding (y, dy)
  lanes: u32,      // invocations with work along the folded x/y grid
  blocks: u32,     // channel blocks per sample or per input-channel block (see each kernel)
  has_bias: u32,
  slices: u32,     // weight and bias gradients: pieces the pixel reduction is split into (partial sums)
  span: u32,       // weight gradient: pixel steps per piece
}

@group(0) @binding(0) var<uniform> p: Params;
// Binding 1: x (forward, weight gradient), the pieces' partial sums (reductions) or a chunk result (add_chunk).
@group(0) @binding(1) var<storage, read> x: array<vec4f>;
@group(0) @binding(1) var<storage, read> x_f: array<f32>;
@group(0) @binding(1) var<storage, read> partial: array<vec4f>;
@group(0) @binding(1) var<storage, read> chunk_f: array<f32>;
// Binding 2: weights, [ci][co] taps as vec4 (forward, transpose input) or [co][ci] (backward_input); for the
// weight gradient, the bias gradient's partial sums, computed on the way from the same dy loads.
@group(0) @binding(2) var<storage, read> w: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> bias_partial: array<vec4f>;
// Binding 3: bias (forward) or dy (backward).
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read> dy: array<vec4f>;
@group(0) @binding(3) var<storage, read> dy_f: array<f32>;
// Binding 4: the result.
@group(0) @binding(4) var<storage, read_write> out: array<vec4f>;
@group(0) @binding(4) var<storage, read_write> out_f: array<f32>;

fn lane(gid: vec3u, nwg: vec3u) -> u32 {
  return gid.x + gid.y * nwg.x * WG;
}

fn put(i: u32, v: vec4f) {
  if (ACCUMULATE) { out[i] = out[i] + v; } else { out[i] = v; }
}

fn put_f(i: u32, v: f32) {
  if (ACCUMULATE) { out_f[i] = out_f[i] + v; } else { out_f[i] = v; }
}

// ---------------------------------------------------------------- forward
// One output channel of 4 input pixels: the top (t) and bottom (b) output rows, 8 floats each.
struct Quad { t0: vec4f, t1: vec4f, b0: vec4f, b1: vec4f }
// One output channel of 16 input pixels (4 vec4 groups).
struct Chan { g0: Quad, g1: Quad, g2: Quad, g3: Quad }

fn quad_fma(a: Quad, xv: vec4f, wv: vec4f) -> Quad {
  // Output row segment = (p0 dj0, p0 dj1, p1 dj0, p1 dj1 | p2 …, p3 …); taps wv = (w00, w01, w10, w11).
  let l = xv.xxyy;
  let r = xv.zzww;
  return Quad(fma(l, wv.xyxy, a.t0), fma(r, wv.xyxy, a.t1), fma(l, wv.zwzw, a.b0), fma(r, wv.zwzw, a.b1));
}

fn chan_fma(c: Chan, x0: vec4f, x1: vec4f, x2: vec4f, x3: vec4f, wv: vec4f) -> Chan {
  return Chan(quad_fma(c.g0, x0, wv), quad_fma(c.g1, x1, wv), quad_fma(c.g2, x2, wv), quad_fma(c.g3, x3, wv));
}

fn chan_fill(v: f32) -> Chan {
  let q = Quad(vec4f(v), vec4f(v), vec4f(v), vec4f(v));
  return Chan(q, q, q, q);
}

// Value the accumulators start from.
fn start_value(co: u32) -> f32 {
  if (p.has_bias == 0u) { return 0.0; }
  return bias[p.co0 + co];
}

// Stores one vec4 group q (4 input pixels) of a channel whose output plane starts at vec4 index `plane`.
fn store_quad(a: Quad, plane: u32, q: u32) {
  if (q >= p.h * p.w / 4u) { return; }
  let i = 4u * q / p.w;
  let j = 4u * q % p.w;
  let o = plane + i * p.w + j / 2u; // row 2i of width 2W, column 2j, in vec4s
  put(o, a.t0);
  put(o + 1u, a.t1);
  put(o + p.w / 2u, a.b0);
  put(o + p.w / 2u + 1u, a.b1);
}

fn store_chan(c: Chan, co: u32, n: u32, q0: u32) {
  if (co >= p.co_count) { return; }
  let plane = p.base_y / 4u + (n * p.cout + co) * p.h * p.w;
  store_quad(c.g0, plane, q0);
  store_quad(c.g1, plane, q0 + 1u);
  store_quad(c.g2, plane, q0 + 2u);
  store_quad(c.g3, plane, q0 + 3u);
}

// W % 4 == 0: each invocation computes 16 input pixels (4 vec4 groups in row-major order) × 8 output channels.
// Grid: x = output-channel blocks, y = pixel tiles / WG, z = samples.
@compute @workgroup_size(WG)
fn forward(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) li: u32) {
  // Channel blocks vary fastest between workgroups, so consecutive ones reuse the same pixels from cache.
  let t = wg.y * WG + li;
  if (t >= p.lanes) { return; }
  let n = wg.z;
  let cb = wg.x * 8u;
  let hw4 = p.h * p.w / 4u;
  let q0 = 4u * t;
  // Groups past the plane re-read the last group; store_quad skips them.
  let qa = min(q0, hw4 - 1u);
  let qb = min(q0 + 1u, hw4 - 1u);
  let qc = min(q0 + 2u, hw4 - 1u);
  let qd = min(q0 + 3u, hw4 - 1u);
  // Channels past the chunk re-read the last channel's weights; store_chan skips them.
  let last = p.co_count - 1u;
  let k0 = p.co0 + min(cb, last);
  let k1 = p.co0 + min(cb + 1u, last);
  let k2 = p.co0 + min(cb + 2u, last);
  let k3 = p.co0 + min(cb + 3u, last);
  let k4 = p.co0 + min(cb + 4u, last);
  let k5 = p.co0 + min(cb + 5u, last);
  let k6 = p.co0 + min(cb + 6u, last);
  let k7 = p.co0 + min(cb + 7u, last);
  var c0 = chan_fill(start_value(k0 - p.co0));
  var c1 = chan_fill(start_value(k1 - p.co0));
  var c2 = chan_fill(start_value(k2 - p.co0));
  var c3 = chan_fill(start_value(k3 - p.co0));
  var c4 = chan_fill(start_value(k4 - p.co0));
  var c5 = chan_fill(start_value(k5 - p.co0));
  var c6 = chan_fill(start_value(k6 - p.co0));
  var c7 = chan_fill(start_value(k7 - p.co0));
  var xi = p.base_x / 4u + n * p.cin * hw4;
  var wr = p.ci0 * p.cout;
  for (var ci = 0u; ci < p.ci_count; ci++) {
    let x0 = x[xi + qa];
    let x1 = x[xi + qb];
    let x2 = x[xi + qc];
    let x3 = x[xi + qd];
    c0 = chan_fma(c0, x0, x1, x2, x3, w[wr + k0]);
    c1 = chan_fma(c1, x0, x1, x2, x3, w[wr + k1]);
    c2 = chan_fma(c2, x0, x1, x2, x3, w[wr + k2]);
    c3 = chan_fma(c3, x0, x1, x2, x3, w[wr + k3]);
    c4 = chan_fma(c4, x0, x1, x2, x3, w[wr + k4]);
    c5 = chan_fma(c5, x0, x1, x2, x3, w[wr + k5]);
    c6 = chan_fma(c6, x0, x1, x2, x3, w[wr + k6]);
    c7 = chan_fma(c7, x0, x1, x2, x3, w[wr + k7]);
    xi += hw4;
    wr += p.cout;
  }
  store_chan(c0, cb, n, q0);
  store_chan(c1, cb + 1u, n, q0);
  store_chan(c2, cb + 2u, n, q0);
  store_chan(c3, cb + 3u, n, q0);
  store_chan(c4, cb + 4u, n, q0);
  store_chan(c5, cb + 5u, n, q0);
  store_chan(c6, cb + 6u, n, q0);
  store_chan(c7, cb + 7u, n, q0);
}

fn store_taps(a: vec4f, co: u32, n: u32, pix: u32) {
  if (co >= p.co_count) { return; }
  let i = pix / p.w;
  let j = pix % p.w;
  let o = p.base_y + (n * p.cout + co) * 4u * p.h * p.w + 4u * i * p.w + 2u * j;
  put_f(o, a.x);
  put_f(o + 1u, a.y);
  put_f(o + 2u * p.w, a.z);
  put_f(o + 2u * p.w + 1u, a.w);
}

// Any width: one input pixel × 8 output channels per invocation, scalar loads.
@compute @workgroup_size(WG)
fn forward_any(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let pix = lane(gid, nwg);
  if (pix >= p.lanes) { return; }
  let n = gid.z / p.blocks;
  let cb = (gid.z % p.blocks) * 8u;
  let hw = p.h * p.w;
  let last = p.co_count - 1u;
  let k0 = p.co0 + min(cb, last);
  let k1 = p.co0 + min(cb + 1u, last);
  let k2 = p.co0 + min(cb + 2u, last);
  let k3 = p.co0 + min(cb + 3u, last);
  let k4 = p.co0 + min(cb + 4u, last);
  let k5 = p.co0 + min(cb + 5u, last);
  let k6 = p.co0 + min(cb + 6u, last);
  let k7 = p.co0 + min(cb + 7u, last);
  var a0 = vec4f(start_value(k0 - p.co0));
  var a1 = vec4f(start_value(k1 - p.co0));
  var a2 = vec4f(start_value(k2 - p.co0));
  var a3 = vec4f(start_value(k3 - p.co0));
  var a4 = vec4f(start_value(k4 - p.co0));
  var a5 = vec4f(start_value(k5 - p.co0));
  var a6 = vec4f(start_value(k6 - p.co0));
  var a7 = vec4f(start_value(k7 - p.co0));
  var xi = p.base_x + n * p.cin * hw + pix;
  var wr = p.ci0 * p.cout;
  for (var ci = 0u; ci < p.ci_count; ci++) {
    let xv = vec4f(x_f[xi]);
    a0 = fma(xv, w[wr + k0], a0);
    a1 = fma(xv, w[wr + k1], a1);
    a2 = fma(xv, w[wr + k2], a2);
    a3 = fma(xv, w[wr + k3], a3);
    a4 = fma(xv, w[wr + k4], a4);
    a5 = fma(xv, w[wr + k5], a5);
    a6 = fma(xv, w[wr + k6], a6);
    a7 = fma(xv, w[wr + k7], a7);
    xi += hw;
    wr += p.cout;
  }
  store_taps(a0, cb, n, pix);
  store_taps(a1, cb + 1u, n, pix);
  store_taps(a2, cb + 2u, n, pix);
  store_taps(a3, cb + 3u, n, pix);
  store_taps(a4, cb + 4u, n, pix);
  store_taps(a5, cb + 5u, n, pix);
  store_taps(a6, cb + 6u, n, pix);
  store_taps(a7, cb + 7u, n, pix);
}

// ---------------------------------------------------------------- backward to the input
// w[ci][co] → out[co][ci] (taps stay together), so backward_input reads the weights of consecutive ci contiguously.
@compute @workgroup_size(WG)
fn transpose_weight(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let e = lane(gid, nwg);
  if (e >= p.cin * p.cout) { return; }
  let ci = e / p.cout;
  let co = e % p.cout;
  out[co * p.cin + ci] = w[e];
}

// dy of 4 input pixels, one vec4 per tap: (di, dj) = (0,0), (0,1), (1,0), (1,1).
struct DyQuad { a: vec4f, b: vec4f, c: vec4f, d: vec4f }
// The input gradient of one channel at 16 pixels.
struct Px16 { g0: vec4f, g1: vec4f, g2: vec4f, g3: vec4f }

fn load_dy_quad(o: u32) -> DyQuad {
  let half = p.w / 2u; // one output row (2W floats) in vec4s
  let t0 = dy[o];
  let t1 = dy[o + 1u];
  let u0 = dy[o + half];
  let u1 = dy[o + half + 1u];
  return DyQuad(vec4f(t0.xz, t1.xz), vec4f(t0.yw, t1.yw), vec4f(u0.xz, u1.xz), vec4f(u0.yw, u1.yw));
}

// The 4 taps are summed before they join the running sum: fewer additions into the (large) sum at the same operation
// count, about half the rounding error (llvmpipe rounds fma's product and sum separately).
fn quad_dot(acc: vec4f, d: DyQuad, wv: vec4f) -> vec4f {
  return acc + (fma(d.a, vec4f(wv.x), d.b * wv.y) + fma(d.c, vec4f(wv.z), d.d * wv.w));
}

fn px16_fma(a: Px16, d0: DyQuad, d1: DyQuad, d2: DyQuad, d3: DyQuad, wv: vec4f) -> Px16 {
  return Px16(quad_dot(a.g0, d0, wv), quad_dot(a.g1, d1, wv), quad_dot(a.g2, d2, wv), quad_dot(a.g3, d3, wv));
}

// Offset of group q's dy segment inside an output plane, in vec4s (q clamped to the plane).
fn dy_offset(q: u32) -> u32 {
  let qc = min(q, p.h * p.w / 4u - 1u);
  return (4u * qc / p.w) * p.w + (4u * qc % p.w) / 2u;
}

fn store_px16(a: Px16, ci: u32, n: u32, q0: u32) {
  if (ci >= p.ci_count) { return; }
  let hw4 = p.h * p.w / 4u;
  let o = p.base_x / 4u + (n * p.cin + ci) * hw4 + q0;
  if (q0 < hw4) { put(o, a.g0); }
  if (q0 + 1u < hw4) { put(o + 1u, a.g1); }
  if (q0 + 2u < hw4) { put(o + 2u, a.g2); }
  if (q0 + 3u < hw4) { put(o + 3u, a.g3); }
}

// W % 4 == 0: each invocation computes 16 input pixels × 16 input channels, reducing over the chunk's output
// channels. Weights come transposed ([co][ci]) so the 16 weight loads of one step are contiguous.
// Grid: x = input-channel blocks, y = pixel tiles / WG, z = samples.
@compute @workgroup_size(WG)
fn backward_input(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) li: u32) {
  // Channel blocks vary fastest between workgroups, so consecutive ones reuse the same pixels from cache.
  let t = wg.y * WG + li;
  if (t >= p.lanes) { return; }
  let n = wg.z;
  let cb = wg.x * 16u;
  let q0 = 4u * t;
  let o0 = dy_offset(q0);
  let o1 = dy_offset(q0 + 1u);
  let o2 = dy_offset(q0 + 2u);
  let o3 = dy_offset(q0 + 3u);
  // Channels past the chunk re-read the last channel's weights; store_px16 skips them.
  let first = p.ci0 + min(cb, p.ci_count - 1u);
  let span = min(15u, p.ci_count - 1u - min(cb, p.ci_count - 1u));
  var a0 = Px16(vec4f(0.0), vec4f(0.0), vec4f(0.0), vec4f(0.0));
  var a1 = a0; var a2 = a0; var a3 = a0; var a4 = a0; var a5 = a0; var a6 = a0; var a7 = a0;
  var a8 = a0; var a9 = a0; var a10 = a0; var a11 = a0; var a12 = a0; var a13 = a0; var a14 = a0;
  var a15 = a0;
  var di = p.base_y / 4u + n * p.cout * p.h * p.w;
  var wr = p.co0 * p.cin + first;
  for (var co = 0u; co < p.co_count; co++) {
    let d0 = load_dy_quad(di + o0);
    let d1 = load_dy_quad(di + o1);
    let d2 = load_dy_quad(di + o2);
    let d3 = load_dy_quad(di + o3);
    a0 = px16_fma(a0, d0, d1, d2, d3, w[wr]);
    a1 = px16_fma(a1, d0, d1, d2, d3, w[wr + min(1u, span)]);
    a2 = px16_fma(a2, d0, d1, d2, d3, w[wr + min(2u, span)]);
    a3 = px16_fma(a3, d0, d1, d2, d3, w[wr + min(3u, span)]);
    a4 = px16_fma(a4, d0, d1, d2, d3, w[wr + min(4u, span)]);
    a5 = px16_fma(a5, d0, d1, d2, d3, w[wr + min(5u, span)]);
    a6 = px16_fma(a6, d0, d1, d2, d3, w[wr + min(6u, span)]);
    a7 = px16_fma(a7, d0, d1, d2, d3, w[wr + min(7u, span)]);
    a8 = px16_fma(a8, d0, d1, d2, d3, w[wr + min(8u, span)]);
    a9 = px16_fma(a9, d0, d1, d2, d3, w[wr + min(9u, span)]);
    a10 = px16_fma(a10, d0, d1, d2, d3, w[wr + min(10u, span)]);
    a11 = px16_fma(a11, d0, d1, d2, d3, w[wr + min(11u, span)]);
    a12 = px16_fma(a12, d0, d1, d2, d3, w[wr + min(12u, span)]);
    a13 = px16_fma(a13, d0, d1, d2, d3, w[wr + min(13u, span)]);
    a14 = px16_fma(a14, d0, d1, d2, d3, w[wr + min(14u, span)]);
    a15 = px16_fma(a15, d0, d1, d2, d3, w[wr + span]);
    di += p.h * p.w;
    wr += p.cin;
  }
  store_px16(a0, cb, n, q0);
  store_px16(a1, cb + 1u, n, q0);
  store_px16(a2, cb + 2u, n, q0);
  store_px16(a3, cb + 3u, n, q0);
  store_px16(a4, cb + 4u, n, q0);
  store_px16(a5, cb + 5u, n, q0);
  store_px16(a6, cb + 6u, n, q0);
  store_px16(a7, cb + 7u, n, q0);
  store_px16(a8, cb + 8u, n, q0);
  store_px16(a9, cb + 9u, n, q0);
  store_px16(a10, cb + 10u, n, q0);
  store_px16(a11, cb + 11u, n, q0);
  store_px16(a12, cb + 12u, n, q0);
  store_px16(a13, cb + 13u, n, q0);
  store_px16(a14, cb + 14u, n, q0);
  store_px16(a15, cb + 15u, n, q0);
}

fn store_dx(v: f32, ci: u32, n: u32, pix: u32) {
  if (ci >= p.ci_count) { return; }
  put_f(p.base_x + (n * p.cin + ci) * p.h * p.w + pix, v);
}

// Any width: one input pixel × 8 input channels per invocation.
@compute @workgroup_size(WG)
fn backward_input_any(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let pix = lane(gid, nwg);
  if (pix >= p.lanes) { return; }
  let n = gid.z / p.blocks;
  let cb = (gid.z % p.blocks) * 8u;
  let i = pix / p.w;
  let j = pix % p.w;
  let first = p.ci0 + min(cb, p.ci_count - 1u);
  let span = min(7u, p.ci_count - 1u - min(cb, p.ci_count - 1u));
  var a = vec4f(0.0);
  var b = vec4f(0.0);
  var di = p.base_y + n * p.cout * 4u * p.h * p.w + 4u * i * p.w + 2u * j;
  var wr = p.co0 * p.cin + first;
  for (var co = 0u; co < p.co_count; co++) {
    let d = vec4f(dy_f[di], dy_f[di + 1u], dy_f[di + 2u * p.w], dy_f[di + 2u * p.w + 1u]);
    a += vec4f(dot(d, w[wr]), dot(d, w[wr + min(1u, span)]),
               dot(d, w[wr + min(2u, span)]), dot(d, w[wr + min(3u, span)]));
    b += vec4f(dot(d, w[wr + min(4u, span)]), dot(d, w[wr + min(5u, span)]),
               dot(d, w[wr + min(6u, span)]), dot(d, w[wr + span]));
    di += 4u * p.h * p.w;
    wr += p.cin;
  }
  store_dx(a.x, cb, n, pix);
  store_dx(a.y, cb + 1u, n, pix);
  store_dx(a.z, cb + 2u, n, pix);
  store_dx(a.w, cb + 3u, n, pix);
  store_dx(b.x, cb + 4u, n, pix);
  store_dx(b.y, cb + 5u, n, pix);
  store_dx(b.z, cb + 6u, n, pix);
  store_dx(b.w, cb + 7u, n, pix);
}

// ---------------------------------------------------------------- backward to the weights
// The pixels of the chunk (samples × rows × columns) are split into `slices` contiguous pieces of `span` steps.
// Invocation (block, piece) sums its piece for one block of (ci, co) pairs and writes out[piece][ci][co] (taps as
// vec4); reduce_weight then sums the pieces. The 8 invocations of a workgroup take 8 channel blocks of the same
// piece, so they read the same x and neighbouring dy rows. Grid: x = channel blocks / 8, y = pieces.

// dy taps of 4 input pixels, one vec4 (00, 01, 10, 11) per pixel.
struct PixTaps { p0: vec4f, p1: vec4f, p2: vec4f, p3: vec4f }

fn load_pix_taps(o: u32) -> PixTaps {
  let half = p.w / 2u;
  let t0 = dy[o];
  let t1 = dy[o + 1u];
  let u0 = dy[o + half];
  let u1 = dy[o + half + 1u];
  return PixTaps(vec4f(t0.xy, u0.xy), vec4f(t0.zw, u0.zw), vec4f(t1.xy, u1.xy), vec4f(t1.zw, u1.zw));
}

fn taps_fma(acc: vec4f, xv: vec4f, d: PixTaps) -> vec4f {
  return fma(vec4f(xv.x), d.p0, fma(vec4f(xv.y), d.p1, fma(vec4f(xv.z), d.p2, fma(vec4f(xv.w), d.p3, acc))));
}

// 4 output channels of one input channel.
struct Co4 { c0: vec4f, c1: vec4f, c2: vec4f, c3: vec4f }

fn co4_fma(a: Co4, xv: vec4f, d0: PixTaps, d1: PixTaps, d2: PixTaps, d3: PixTaps) -> Co4 {
  return Co4(taps_fma(a.c0, xv, d0), taps_fma(a.c1, xv, d1), taps_fma(a.c2, xv, d2), taps_fma(a.c3, xv, d3));
}

fn store_partial(s: u32, ci: u32, co: u32, v: vec4f) {
  if (ci >= p.ci_count || co >= p.co_count) { return; }
  out[(s * p.cin + p.ci0 + ci) * p.cout + p.co0 + co] = v;
}

fn store_co4(a: Co4, s: u32, ci: u32, co: u32) {
  store_partial(s, ci, co, a.c0);
  store_partial(s, ci, co + 1u, a.c1);
  store_partial(s, ci, co + 2u, a.c2);
  store_partial(s, ci, co + 3u, a.c3);
}

fn pix_sum(d: PixTaps) -> vec4f {
  return (d.p0 + d.p1) + (d.p2 + d.p3);
}

// The bias partials of output channels co..co+3: written once, by the invocations of the first input-channel block.
fn store_bias(b: Co4, s: u32, ci: u32, co: u32) {
  if (p.has_bias == 0u || ci != 0u) { return; }
  let o = s * p.cout + p.co0 + co;
  if (co < p.co_count) { bias_partial[o] = b.c0; }
  if (co + 1u < p.co_count) { bias_partial[o + 1u] = b.c1; }
  if (co + 2u < p.co_count) { bias_partial[o + 2u] = b.c2; }
  if (co + 3u < p.co_count) { bias_partial[o + 3u] = b.c3; }
}

// W % 4 == 0: 16 input channels × 4 output channels × 4 taps per invocation, 4 pixels per step. Input channels
// are cheaper to add than output channels (one vec4 of x against four of dy). With has_bias, dy's sums per
// output channel and tap go to bias_partial[piece][co] as well.
@compute @workgroup_size(WG)
fn backward_weight(@builtin(global_invocation_id) gid: vec3u) {
  let block = gid.x;
  if (block >= p.lanes) { return; }
  let r = gid.y;
  let cib = (block / p.blocks) * 16u;
  let cob = (block % p.blocks) * 4u;
  let hw4 = p.h * p.w / 4u;
  let w4 = p.w / 4u;
  // Channels past the chunk re-read the last channel; store_partial skips them.
  let il = p.ci_count - 1u;
  let ol = p.co_count - 1u;
  let x0 = min(cib + 0u, il) * hw4;
  let x1 = min(cib + 1u, il) * hw4;
  let x2 = min(cib + 2u, il) * hw4;
  let x3 = min(cib + 3u, il) * hw4;
  let x4 = min(cib + 4u, il) * hw4;
  let x5 = min(cib + 5u, il) * hw4;
  let x6 = min(cib + 6u, il) * hw4;
  let x7 = min(cib + 7u, il) * hw4;
  let x8 = min(cib + 8u, il) * hw4;
  let x9 = min(cib + 9u, il) * hw4;
  let x10 = min(cib + 10u, il) * hw4;
  let x11 = min(cib + 11u, il) * hw4;
  let x12 = min(cib + 12u, il) * hw4;
  let x13 = min(cib + 13u, il) * hw4;
  let x14 = min(cib + 14u, il) * hw4;
  let x15 = min(cib + 15u, il) * hw4;
  let y0 = min(cob + 0u, ol) * p.h * p.w;
  let y1 = min(cob + 1u, ol) * p.h * p.w;
  let y2 = min(cob + 2u, ol) * p.h * p.w;
  let y3 = min(cob + 3u, ol) * p.h * p.w;
  let zero = Co4(vec4f(0.0), vec4f(0.0), vec4f(0.0), vec4f(0.0));
  var a0 = zero; var a1 = zero; var a2 = zero; var a3 = zero;
  var a4 = zero; var a5 = zero; var a6 = zero; var a7 = zero;
  var a8 = zero; var a9 = zero; var a10 = zero; var a11 = zero;
  var a12 = zero; var a13 = zero; var a14 = zero; var a15 = zero;
  var b = zero;
  let start = r * p.span;
  let end = min(start + p.span, p.n * hw4);
  var n = start / hw4;
  var q = start % hw4;
  var i = q / w4;
  var jq = q % w4;
  // (n, q, i, jq) step along with g: no divisions in the loop.
  for (var g = start; g < end; g++) {
    let xb = p.base_x / 4u + n * p.cin * hw4 + q;
    let db = p.base_y / 4u + n * p.cout * p.h * p.w + i * p.w + 2u * jq;
    let d0 = load_pix_taps(db + y0);
    let d1 = load_pix_taps(db + y1);
    let d2 = load_pix_taps(db + y2);
    let d3 = load_pix_taps(db + y3);
    b = Co4(b.c0 + pix_sum(d0), b.c1 + pix_sum(d1), b.c2 + pix_sum(d2), b.c3 + pix_sum(d3));
    a0 = co4_fma(a0, x[xb + x0], d0, d1, d2, d3);
    a1 = co4_fma(a1, x[xb + x1], d0, d1, d2, d3);
    a2 = co4_fma(a2, x[xb + x2], d0, d1, d2, d3);
    a3 = co4_fma(a3, x[xb + x3], d0, d1, d2, d3);
    a4 = co4_fma(a4, x[xb + x4], d0, d1, d2, d3);
    a5 = co4_fma(a5, x[xb + x5], d0, d1, d2, d3);
    a6 = co4_fma(a6, x[xb + x6], d0, d1, d2, d3);
    a7 = co4_fma(a7, x[xb + x7], d0, d1, d2, d3);
    a8 = co4_fma(a8, x[xb + x8], d0, d1, d2, d3);
    a9 = co4_fma(a9, x[xb + x9], d0, d1, d2, d3);
    a10 = co4_fma(a10, x[xb + x10], d0, d1, d2, d3);
    a11 = co4_fma(a11, x[xb + x11], d0, d1, d2, d3);
    a12 = co4_fma(a12, x[xb + x12], d0, d1, d2, d3);
    a13 = co4_fma(a13, x[xb + x13], d0, d1, d2, d3);
    a14 = co4_fma(a14, x[xb + x14], d0, d1, d2, d3);
    a15 = co4_fma(a15, x[xb + x15], d0, d1, d2, d3);
    q++;
    jq++;
    if (jq == w4) { jq = 0u; i++; }
    if (q == hw4) { q = 0u; i = 0u; n++; }
  }
  store_co4(a0, r, cib + 0u, cob);
  store_co4(a1, r, cib + 1u, cob);
  store_co4(a2, r, cib + 2u, cob);
  store_co4(a3, r, cib + 3u, cob);
  store_co4(a4, r, cib + 4u, cob);
  store_co4(a5, r, cib + 5u, cob);
  store_co4(a6, r, cib + 6u, cob);
  store_co4(a7, r, cib + 7u, cob);
  store_co4(a8, r, cib + 8u, cob);
  store_co4(a9, r, cib + 9u, cob);
  store_co4(a10, r, cib + 10u, cob);
  store_co4(a11, r, cib + 11u, cob);
  store_co4(a12, r, cib + 12u, cob);
  store_co4(a13, r, cib + 13u, cob);
  store_co4(a14, r, cib + 14u, cob);
  store_co4(a15, r, cib + 15u, cob);
  store_bias(b, r, cib, cob);
}

fn load_taps_f(o: u32) -> vec4f {
  return vec4f(dy_f[o], dy_f[o + 1u], dy_f[o + 2u * p.w], dy_f[o + 2u * p.w + 1u]);
}

// Any width: 4 input channels × 4 output channels × 4 taps per invocation, one pixel per step. Same grid and
// bias partials.
@compute @workgroup_size(WG)
fn backward_weight_any(@builtin(global_invocation_id) gid: vec3u) {
  let block = gid.x;
  if (block >= p.lanes) { return; }
  let r = gid.y;
  let cib = (block / p.blocks) * 4u;
  let cob = (block % p.blocks) * 4u;
  let hw = p.h * p.w;
  let il = p.ci_count - 1u;
  let ol = p.co_count - 1u;
  let x0 = min(cib, il) * hw;
  let x1 = min(cib + 1u, il) * hw;
  let x2 = min(cib + 2u, il) * hw;
  let x3 = min(cib + 3u, il) * hw;
  let y0 = min(cob, ol) * 4u * hw;
  let y1 = min(cob + 1u, ol) * 4u * hw;
  let y2 = min(cob + 2u, ol) * 4u * hw;
  let y3 = min(cob + 3u, ol) * 4u * hw;
  let zero = Co4(vec4f(0.0), vec4f(0.0), vec4f(0.0), vec4f(0.0));
  var a0 = zero; var a1 = zero; var a2 = zero; var a3 = zero;
  var b = zero;
  let start = r * p.span;
  let end = min(start + p.span, p.n * hw);
  for (var g = start; g < end; g++) {
    let n = g / hw;
    let pix = g % hw;
    let xb = p.base_x + n * p.cin * hw + pix;
    let db = p.base_y + n * p.cout * 4u * hw + 4u * (pix / p.w) * p.w + 2u * (pix % p.w);
    let d0 = load_taps_f(db + y0);
    let d1 = load_taps_f(db + y1);
    let d2 = load_taps_f(db + y2);
    let d3 = load_taps_f(db + y3);
    b = Co4(b.c0 + d0, b.c1 + d1, b.c2 + d2, b.c3 + d3);
    let xa = vec4f(x_f[xb + x0]);
    let xb1 = vec4f(x_f[xb + x1]);
    let xc = vec4f(x_f[xb + x2]);
    let xd = vec4f(x_f[xb + x3]);
    a0 = Co4(fma(xa, d0, a0.c0), fma(xa, d1, a0.c1), fma(xa, d2, a0.c2), fma(xa, d3, a0.c3));
    a1 = Co4(fma(xb1, d0, a1.c0), fma(xb1, d1, a1.c1), fma(xb1, d2, a1.c2), fma(xb1, d3, a1.c3));
    a2 = Co4(fma(xc, d0, a2.c0), fma(xc, d1, a2.c1), fma(xc, d2, a2.c2), fma(xc, d3, a2.c3));
    a3 = Co4(fma(xd, d0, a3.c0), fma(xd, d1, a3.c1), fma(xd, d2, a3.c2), fma(xd, d3, a3.c3));
  }
  store_co4(a0, r, cib, cob);
  store_co4(a1, r, cib + 1u, cob);
  store_co4(a2, r, cib + 2u, cob);
  store_co4(a3, r, cib + 3u, cob);
  store_bias(b, r, cib, cob);
}

// dw[ci][co] (+)= Σ_s partial[s][ci][co] over the chunk's channel block; one invocation per (ci, co).
@compute @workgroup_size(WG)
fn reduce_weight(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let e = lane(gid, nwg);
  if (e >= p.ci_count * p.co_count) { return; }
  let k = (p.ci0 + e / p.co_count) * p.cout + p.co0 + e % p.co_count;
  let stride = p.cin * p.cout;
  var sum = vec4f(0.0);
  for (var s = 0u; s < p.slices; s++) {
    sum += partial[s * stride + k];
  }
  put(k, sum);
}

// ---------------------------------------------------------------- backward to the bias
// Invocation s sums dy vec4s s, s + slices, … of each sample's plane of output channel gid.z into out[s][co].
@compute @workgroup_size(WG)
fn backward_bias(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let s = lane(gid, nwg);
  if (s >= p.slices) { return; }
  let co = gid.z;
  let plane = p.h * p.w; // 4HW floats = HW vec4s
  var a = vec4f(0.0);
  var b = vec4f(0.0);
  for (var n = 0u; n < p.n; n++) {
    let base = p.base_y / 4u + (n * p.cout + co) * plane;
    var e = s;
    // Two accumulators: the loads of consecutive steps do not wait on each other's adds.
    for (; e + p.slices < plane; e += 2u * p.slices) {
      a += dy[base + e];
      b += dy[base + e + p.slices];
    }
    if (e < plane) { a += dy[base + e]; }
  }
  out[s * p.cout + p.co0 + co] = a + b;
}

// db[co] (+)= Σ_s Σ partial[s][co]; one invocation per output channel of the chunk.
@compute @workgroup_size(WG)
fn reduce_bias(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let co = lane(gid, nwg);
  if (co >= p.co_count) { return; }
  var sum = vec4f(0.0);
  for (var s = 0u; s < p.slices; s++) {
    sum += partial[s * p.cout + p.co0 + co];
  }
  put_f(p.co0 + co, sum.x + sum.y + sum.z + sum.w);
}

// ---------------------------------------------------------------- split reductions
// out[base_x + i] += chunk[i] for i < lanes: adds the result of a later channel chunk (computed into a scratch
// buffer) onto the destination's range.
@compute @workgroup_size(WG)
fn add_chunk(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = lane(gid, nwg);
  if (i >= p.lanes) { return; }
  out_f[p.base_x + i] = out_f[p.base_x + i] + chunk_f[i];
}
