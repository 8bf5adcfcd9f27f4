// Convolution backward to the weights (3×3 padding 1, and 1×1) and to the bias: partial sums over a range of
// rows (or pixels), one slot per range; conv2d_reduce.wgsl adds the slots up into PyTorch's layout.
//
// As in conv2d.wgsl, loads are the cost on llvmpipe (a per-lane loop each), so an invocation owns a tile of
// the weight gradient (CI input channels × 9 taps × 8 output channels, held in registers) and marches along
// rows: per 4 pixels it loads 3 vec4s of x per input channel and 1 vec4 of dy per output channel.
// Loops whose trip count equals the size of the array they index are unrolled by NIR (registers, not memory).

override WG: u32 = 64u;
// Input channels per invocation: 4, or 1 for single-channel inputs (arrays sized CI_MAX; loops unrolled either way).
override CI: u32 = 4u;
const CI_MAX: u32 = 4u;
const CI1: u32 = 16u;

struct Params {
  row0: u32,       // first row of this dispatch's range
  rows: u32,       // 3×3: rows (of all samples bound, sample-major); 1×1: vec4 steps, sample-major
  h: u32,
  w4: u32,         // vec4s per row (1×1 and bias: the whole plane is one row)
  ci_count: u32,   // x holds input channels [ci0, ci0 + ci_count) of each sample
  ci0: u32,
  co_count: u32,   // dy holds output channels [co0, co0 + co_count) of each sample
  co0: u32,
  x_base: u32,     // vec4 indices and per-sample strides
  x_stride: u32,
  dy_base: u32,
  dy_stride: u32,
  nci_blk: u32,    // input-channel blocks in this dispatch
  nco_blk: u32,    // output-channel blocks (of 8)
  nsplit: u32,     // row ranges (slots) in this dispatch; bias: plane segments per sample
  part_base: u32,  // vec4 index of this dispatch's first slot in the partial-sum binding
  slot4: u32,      // vec4s per slot: cin · taps · co_pad / 4
  co_pad: u32,     // partial layout per slot: [ci][tap][co_pad]
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x4: array<vec4f>;
@group(0) @binding(2) var<storage, read> dy4: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> part4: array<vec4f>;

fn linear_id(gid: vec3u, nwg: vec3u) -> u32 {
  return gid.x + gid.y * nwg.x * WG;
}

// The 8 dy vec4s (8 channels × 4 pixels) as 2 × 4 vec4s over channels: d[q][k] = channels 4q..4q+3 at pixel k.
fn by_pixel(d: array<vec4f, 8>) -> array<array<vec4f, 4>, 2> {
  var t: array<array<vec4f, 4>, 2>;
  for (var q = 0u; q < 2u; q++) {
    for (var k = 0u; k < 4u; k++) {
      t[q][k] = vec4f(d[q * 4u][k], d[q * 4u + 1u][k], d[q * 4u + 2u][k], d[q * 4u + 3u][k]);
    }
  }
  return t;
}

// acc += Σ_k xw[k] · d[k] over the 4 pixels of a step.
fn dot4(acc: vec4f, xw: vec4f, d: array<vec4f, 4>) -> vec4f {
  return fma(vec4f(xw.w), d[3], fma(vec4f(xw.z), d[2], fma(vec4f(xw.y), d[1], fma(vec4f(xw.x), d[0], acc))));
}

// One invocation: input block cib (CI channels), output block cob (8 channels), row range `split`.
@compute @workgroup_size(WG)
fn weight_grad3x3(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let inv = linear_id(gid, nwg);
  if (inv >= p.nci_blk * p.nco_blk * p.nsplit) { return; }
  let cib = inv % p.nci_blk;
  let cob = (inv / p.nci_blk) % p.nco_blk;
  let split = inv / (p.nci_blk * p.nco_blk);
  let per = (p.rows + p.nsplit - 1u) / p.nsplit;
  let g0 = p.row0 + split * per;
  let g1 = min(g0 + per, p.row0 + p.rows);
  let w4 = p.w4;
  let plane4 = p.h * w4;

  // tot[c][ky][kx][q]: input channel c, tap, output channels 4q..4q+3. Each row is summed on its own first
  // (acc), which keeps float32 sums short: a row then a row range, instead of one sum over the whole range.
  // (acc is reset explicitly: naga, the WGSL compiler of Deno, does not re-zero a `var` declared in a loop body.)
  var tot: array<array<array<array<vec4f, 2>, 3>, 3>, CI_MAX>;
  var acc: array<array<array<array<vec4f, 2>, 3>, 3>, CI_MAX>;
  for (var g = g0; g < g1; g++) {
    for (var c = 0u; c < CI; c++) {
      for (var r = 0u; r < 3u; r++) {
        for (var kx = 0u; kx < 3u; kx++) {
          for (var q = 0u; q < 2u; q++) { acc[c][r][kx][q] = vec4f(0.0); }
        }
      }
    }
    let s = g / p.h;
    let oy = g % p.h;
    let x_sample = p.x_base + s * p.x_stride;
    var dyrow: array<u32, 8>;
    for (var j = 0u; j < 8u; j++) {
      dyrow[j] = p.dy_base + s * p.dy_stride + min(cob * 8u + j, p.co_count - 1u) * plane4 + oy * w4;
    }
    var cur: array<array<vec4f, 3>, CI_MAX>;
    var lft: array<array<f32, 3>, CI_MAX>;
    var rowok: array<array<bool, 3>, CI_MAX>;
    var rowix: array<array<u32, 3>, CI_MAX>;
    for (var c = 0u; c < CI; c++) {
      let chan = x_sample + min(cib * CI + c, p.ci_count - 1u) * plane4;
      for (var r = 0u; r < 3u; r++) {
        let iy = i32(oy + r) - 1;
        rowok[c][r] = iy >= 0 && iy < i32(p.h);
        rowix[c][r] = chan + u32(clamp(iy, 0, i32(p.h) - 1)) * w4;
        cur[c][r] = select(vec4f(0.0), x4[rowix[c][r]], rowok[c][r]);
        lft[c][r] = 0.0;
      }
    }
    for (var st = 0u; st < w4; st++) {
      var d: array<vec4f, 8>;
      for (var j = 0u; j < 8u; j++) { d[j] = dy4[dyrow[j] + st]; }
      let dq = by_pixel(d);
      let more = st + 1u < w4;
      let nst = min(st + 1u, w4 - 1u);
      for (var c = 0u; c < CI; c++) {
        for (var r = 0u; r < 3u; r++) {
          let nx = select(vec4f(0.0), x4[rowix[c][r] + nst], more && rowok[c][r]);
          let xc = cur[c][r];
          let xl = vec4f(lft[c][r], xc.xyz);
          let xr = vec4f(xc.yzw, nx.x);
          for (var q = 0u; q < 2u; q++) {
            acc[c][r][0][q] = dot4(acc[c][r][0][q], xl, dq[q]);
            acc[c][r][1][q] = dot4(acc[c][r][1][q], xc, dq[q]);
            acc[c][r][2][q] = dot4(acc[c][r][2][q], xr, dq[q]);
          }
          lft[c][r] = xc.w;
          cur[c][r] = nx;
        }
      }
    }
    for (var c = 0u; c < CI; c++) {
      for (var r = 0u; r < 3u; r++) {
        for (var kx = 0u; kx < 3u; kx++) {
          for (var q = 0u; q < 2u; q++) { tot[c][r][kx][q] += acc[c][r][kx][q]; }
        }
      }
    }
  }
  let slot = p.part_base + split * p.slot4;
  for (var c = 0u; c < CI; c++) {
    let ci = cib * CI + c;
    for (var r = 0u; r < 3u; r++) {
      for (var kx = 0u; kx < 3u; kx++) {
        for (var q = 0u; q < 2u; q++) {
          let co = cob * 8u + q * 4u;
          if (ci < p.ci_count && co < p.co_count) {
            part4[slot + (((p.ci0 + ci) * 9u + r * 3u + kx) * p.co_pad + p.co0 + co) / 4u] = tot[c][r][kx][q];
          }
        }
      }
    }
  }
}

// 1×1: the plane is one row of w4 vec4s; `rows` counts vec4 steps over all samples of the dispatch.
@compute @workgroup_size(WG)
fn weight_grad1x1(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let inv = linear_id(gid, nwg);
  if (inv >= p.nci_blk * p.nco_blk * p.nsplit) { return; }
  let cib = inv % p.nci_blk;
  let cob = (inv / p.nci_blk) % p.nco_blk;
  let split = inv / (p.nci_blk * p.nco_blk);
  let per = (p.rows + p.nsplit - 1u) / p.nsplit;
  let g0 = p.row0 + split * per;
  let g1 = min(g0 + per, p.row0 + p.rows);
  let plane4 = p.w4;

  var acc: array<array<vec4f, 2>, CI1>;
  var chan: array<u32, CI1>;
  for (var c = 0u; c < CI1; c++) { chan[c] = min(cib * CI1 + c, p.ci_count - 1u) * plane4; }
  var dchan: array<u32, 8>;
  for (var j = 0u; j < 8u; j++) { dchan[j] = min(cob * 8u + j, p.co_count - 1u) * plane4; }
  for (var g = g0; g < g1; g++) {
    let s = g / plane4;
    let st = g % plane4;
    let xs = p.x_base + s * p.x_stride + st;
    let ds = p.dy_base + s * p.dy_stride + st;
    var d: array<vec4f, 8>;
    for (var j = 0u; j < 8u; j++) { d[j] = dy4[ds + dchan[j]]; }
    let dq = by_pixel(d);
    for (var c = 0u; c < CI1; c++) {
      let xv = x4[xs + chan[c]];
      for (var q = 0u; q < 2u; q++) { acc[c][q] = dot4(acc[c][q], xv, dq[q]); }
    }
  }
  let slot = p.part_base + split * p.slot4;
  for (var c = 0u; c < CI1; c++) {
    let ci = cib * CI1 + c;
    for (var q = 0u; q < 2u; q++) {
      let co = cob * 8u + q * 4u;
      if (ci < p.ci_count && co < p.co_count) {
        part4[slot + ((p.ci0 + ci) * p.co_pad + p.co0 + co) / 4u] = acc[c][q];
      }
    }
  }
}

// Bias: one invocation sums segment `sg` of channel co of sample s (a plane of w4 vec4s) into 4 partial lanes,
// slot s · nsplit + sg: part4[part_base + slot * co_pad + co0 + co] (co_pad here = total output channels).
@compute @workgroup_size(WG)
fn bias_grad(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let inv = linear_id(gid, nwg);
  if (inv >= p.rows * p.nsplit * p.co_count) { return; }
  let co = inv % p.co_count;
  let sg = (inv / p.co_count) % p.nsplit;
  let s = inv / (p.co_count * p.nsplit);
  let per = (p.w4 + p.nsplit - 1u) / p.nsplit;
  let base = p.dy_base + s * p.dy_stride + co * p.w4;
  let end = min((sg + 1u) * per, p.w4);
  var a = vec4f(0.0);
  var b = vec4f(0.0);
  var st = sg * per;
  for (; st + 1u < end; st += 2u) {
    a += dy4[base + st];
    b += dy4[base + st + 1u];
  }
  if (st < end) { a += dy4[base + st]; }
  part4[p.part_base + (s * p.nsplit + sg) * p.co_pad + p.co0 + co] = a + b;
}
