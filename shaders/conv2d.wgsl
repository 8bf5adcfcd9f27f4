// Convolution forward (3×3 padding 1, and 1×1), stride 1, NCHW float32. The backward-to-input pass reuses these
// entry points with flipped, transposed weights (see src/kernels/conv2d.ts).
//
// Why the kernels look like this (llvmpipe, Mesa 22): invocations run as 8 SIMD lanes, and every load or store
// whose address is not a compile-time constant becomes a loop over the lanes (~40 ns per vec4). Arithmetic is
// cheap. So each invocation owns 8 output channels of one row (3×3) or of a pixel segment (1×1) and marches
// along it 4 pixels (one vec4) at a time, holding the weights of a block of input channels in registers for
// the whole march. Loops whose trip count equals the size of the array they index are fully unrolled by NIR,
// which keeps those arrays in registers.
//
// Layouts: a plane is h rows of w4 vec4s (row lengths not a multiple of 4 are padded by the caller). Weights are
// re-laid out by `relayout_weights` as [co_block][cin][tap][8]: the 8 output channels of a block are
// contiguous (two vec4s). Every operand is bound from an aligned offset; *_base is its index in the binding.

override WG: u32 = 64u;
// Input channels per block: 4, or 1 for single-channel inputs. Loops over it are unrolled either way (trip
// count 4 = the arrays' size, or 1); the arrays are sized CB_MAX.
override CB: u32 = 4u;
const CB_MAX: u32 = 4u;
// Input channels per block for 1×1 (more of them: each x load feeds only 8 outputs per pixel there).
const CB1: u32 = 16u;

struct Params {
  n: u32,           // samples in this dispatch
  h: u32,           // rows per plane
  w4: u32,          // vec4s per row (3×3); for 1×1 the plane is one row of w4 vec4s
  ci_count: u32,    // input channels bound in x: absolute channels [ci0, ci0 + ci_count)
  ci0: u32,
  w_cin: u32,       // input channels in the weights (all of them, not only the bound range)
  nblk: u32,        // output-channel blocks (of 8) computed by this dispatch
  blk0: u32,        // absolute index of the first of them
  co0: u32,         // y holds absolute output channels [co0, co0 + co_count)
  co_count: u32,
  cout: u32,        // total output channels (bias length)
  x_base: u32,      // vec4 index of the first bound sample in x
  x_stride: u32,    // vec4s between samples in x
  y_base: u32,
  y_stride: u32,
  w_base: u32,      // vec4 index of block blk0 in the weights binding
  accumulate: u32,  // 1: add to y (later input-channel ranges); 0: overwrite (with bias)
  has_bias: u32,
  seg: u32,         // vec4 steps per invocation
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x4: array<vec4f>;
@group(0) @binding(2) var<storage, read> wt: array<vec4f>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> y4: array<vec4f>;

fn linear_id(gid: vec3u, nwg: vec3u) -> u32 {
  return gid.x + gid.y * nwg.x * WG;
}

// Where the 8 output channels of the block starting at absolute channel cob live in y (plane offsets, in
// vec4s, from the sample's start), whether y holds them, and their bias.
struct Outputs {
  off: array<u32, 8>,
  ok: array<bool, 8>,
  bias: array<f32, 8>,
}

fn outputs(cob: u32, plane4: u32) -> Outputs {
  var o: Outputs;
  for (var j = 0u; j < 8u; j++) {
    let lp = i32(cob + j) - i32(p.co0);
    o.ok[j] = lp >= 0 && lp < i32(p.co_count);
    o.off[j] = u32(clamp(lp, 0, i32(p.co_count) - 1)) * plane4;
    // Without a bias the binding is a small dummy: read its element 0 and discard it.
    let has = p.has_bias != 0u;
    o.bias[j] = select(0.0, bias[select(0u, min(cob + j, p.cout - 1u), has)], has);
  }
  return o;
}

// One invocation: sample s, row oy, vec4 steps [st0, st1) of it (whole rows unless they are very long: Mesa
// stops an invocation's loops after 65 535 iterations in total), output channels [8·b, 8·b + 8).
@compute @workgroup_size(WG)
fn forward3x3(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let inv = linear_id(gid, nwg);
  let w4 = p.w4;
  let nseg = (w4 + p.seg - 1u) / p.seg;
  if (inv >= p.n * p.h * nseg * p.nblk) { return; }
  let blk = inv % p.nblk;
  let sg = (inv / p.nblk) % nseg;
  let oy = (inv / (p.nblk * nseg)) % p.h;
  let s = inv / (p.nblk * nseg * p.h);
  let st0 = sg * p.seg;
  let st1 = min(st0 + p.seg, w4);
  let plane4 = p.h * w4;
  let cob = (p.blk0 + blk) * 8u;
  let x_sample = p.x_base + s * p.x_stride;
  let y_sample = p.y_base + s * p.y_stride;
  let wblk = p.w_base + blk * p.w_cin * 18u;
  let o = outputs(cob, plane4);

  for (var cb = 0u; cb < p.ci_count; cb += CB) {
    // Weights of CB input channels: wk[c][tap * 8 + j], loaded once for the whole row.
    var wk: array<array<f32, 72>, CB_MAX>;
    // Per channel and input row (oy - 1, oy, oy + 1): the current vec4, the pixel left of it, and where the row is.
    var cur: array<array<vec4f, 3>, CB_MAX>;
    var lft: array<array<f32, 3>, CB_MAX>;
    var rowok: array<array<bool, 3>, CB_MAX>;
    var rowix: array<array<u32, 3>, CB_MAX>;
    for (var c = 0u; c < CB; c++) {
      let ok = cb + c < p.ci_count;
      let ci = min(cb + c, p.ci_count - 1u);
      let wrow = wblk + (p.ci0 + ci) * 18u;
      for (var q = 0u; q < 18u; q++) {
        // Channels past the bound range get zero weights (their x reads are clamped to a valid channel).
        let v = select(vec4f(0.0), wt[wrow + q], ok);
        wk[c][q * 4u] = v.x;
        wk[c][q * 4u + 1u] = v.y;
        wk[c][q * 4u + 2u] = v.z;
        wk[c][q * 4u + 3u] = v.w;
      }
      let chan = x_sample + ci * plane4;
      for (var r = 0u; r < 3u; r++) {
        let iy = i32(oy + r) - 1;
        rowok[c][r] = iy >= 0 && iy < i32(p.h);
        rowix[c][r] = chan + u32(clamp(iy, 0, i32(p.h) - 1)) * w4;
        cur[c][r] = select(vec4f(0.0), x4[rowix[c][r] + st0], rowok[c][r]);
        lft[c][r] = select(0.0, x4[rowix[c][r] + max(st0, 1u) - 1u].w, rowok[c][r] && st0 > 0u);
      }
    }
    let first = cb == 0u && p.accumulate == 0u;
    let yrow = y_sample + oy * w4;
    for (var st = st0; st < st1; st++) {
      // This block's sum starts from zero and is added to the running total (bias or y) at the end: float32
      // error then grows with the terms of one block plus the block count, not with all cin·9 terms (llvmpipe
      // rounds fma's product and sum separately). The initialiser is explicit: without one, naga's output does
      // not re-zero the array on every iteration.
      var acc = array<vec4f, 8>();
      let more = st + 1u < w4;
      let nst = min(st + 1u, w4 - 1u);
      for (var c = 0u; c < CB; c++) {
        for (var r = 0u; r < 3u; r++) {
          let nx = select(vec4f(0.0), x4[rowix[c][r] + nst], more && rowok[c][r]);
          let xc = cur[c][r];
          let xl = vec4f(lft[c][r], xc.xyz);
          let xr = vec4f(xc.yzw, nx.x);
          for (var j = 0u; j < 8u; j++) {
            acc[j] = fma(xl, vec4f(wk[c][r * 24u + j]), acc[j]);
            acc[j] = fma(xc, vec4f(wk[c][r * 24u + 8u + j]), acc[j]);
            acc[j] = fma(xr, vec4f(wk[c][r * 24u + 16u + j]), acc[j]);
          }
          lft[c][r] = xc.w;
          cur[c][r] = nx;
        }
      }
      if (first) {
        for (var j = 0u; j < 8u; j++) { acc[j] += vec4f(o.bias[j]); }
      } else {
        for (var j = 0u; j < 8u; j++) { acc[j] += y4[yrow + o.off[j] + st]; }
      }
      for (var j = 0u; j < 8u; j++) {
        if (o.ok[j]) { y4[yrow + o.off[j] + st] = acc[j]; }
      }
    }
  }
}

// 1×1: one invocation = sample s, output block b, `seg` vec4 steps of the flattened plane.
@compute @workgroup_size(WG)
fn forward1x1(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let inv = linear_id(gid, nwg);
  let plane4 = p.h * p.w4;
  let nseg = (plane4 + p.seg - 1u) / p.seg;
  if (inv >= p.n * nseg * p.nblk) { return; }
  let blk = inv % p.nblk;
  let sg = (inv / p.nblk) % nseg;
  let s = inv / (p.nblk * nseg);
  let cob = (p.blk0 + blk) * 8u;
  let x_sample = p.x_base + s * p.x_stride;
  let y_sample = p.y_base + s * p.y_stride;
  let wblk = p.w_base + blk * p.w_cin * 2u;
  let o = outputs(cob, plane4);
  let st0 = sg * p.seg;
  let st1 = min(st0 + p.seg, plane4);

  for (var cb = 0u; cb < p.ci_count; cb += CB1) {
    var wk: array<array<f32, 8>, CB1>;
    var chan: array<u32, CB1>;
    for (var c = 0u; c < CB1; c++) {
      let ok = cb + c < p.ci_count;
      let ci = min(cb + c, p.ci_count - 1u);
      let wrow = wblk + (p.ci0 + ci) * 2u;
      let lo = select(vec4f(0.0), wt[wrow], ok);
      let hi = select(vec4f(0.0), wt[wrow + 1u], ok);
      wk[c] = array<f32, 8>(lo.x, lo.y, lo.z, lo.w, hi.x, hi.y, hi.z, hi.w);
      chan[c] = x_sample + ci * plane4;
    }
    let first = cb == 0u && p.accumulate == 0u;
    for (var st = st0; st < st1; st++) {
      // Per-block partial sums, as in forward3x3.
      var acc = array<vec4f, 8>();
      for (var c = 0u; c < CB1; c++) {
        let xv = x4[chan[c] + st];
        for (var j = 0u; j < 8u; j++) {
          acc[j] = fma(xv, vec4f(wk[c][j]), acc[j]);
        }
      }
      if (first) {
        for (var j = 0u; j < 8u; j++) { acc[j] += vec4f(o.bias[j]); }
      } else {
        for (var j = 0u; j < 8u; j++) { acc[j] += y4[y_sample + o.off[j] + st]; }
      }
      for (var j = 0u; j < 8u; j++) {
        if (o.ok[j]) { y4[y_sample + o.off[j] + st] = acc[j]; }
      }
    }
  }
}
