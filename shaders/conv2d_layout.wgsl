// Layout helpers of the convolution kernels: weights from PyTorch's [cout][cin][k][k] to the kernels'
// [co_block][cin][tap][8], and row padding (rows whose length is not a multiple of 4 get zero columns so the
// kernels can read and write whole vec4s).
override WG: u32 = 256u;

struct Params {
  count: u32,      // elements written by this dispatch
  start: u32,      // index of the first of them in the whole destination
  src_base: u32,
  dst_base: u32,
  // relayout_weights
  conv_in: u32,    // input channels of the convolution being run
  conv_out: u32,   // its output channels
  taps: u32,       // 9 or 1
  transpose: u32,  // 1: weights of the backward-to-input convolution (in/out swapped, taps flipped)
  // copy_rows
  src_len: u32,    // row length in the source
  dst_len: u32,    // row length in the destination
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

fn linear_id(gid: vec3u, nwg: vec3u) -> u32 {
  return gid.x + gid.y * nwg.x * WG;
}

// dst[((blk * conv_in + ci) * taps + t) * 8 + j] = weight of output channel 8·blk + j, input channel ci, tap t.
@compute @workgroup_size(WG)
fn relayout_weights(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = linear_id(gid, nwg);
  if (i >= p.count) { return; }
  let d = p.start + i;
  let j = d % 8u;
  let t = (d / 8u) % p.taps;
  let ci = (d / (8u * p.taps)) % p.conv_in;
  let co = (d / (8u * p.taps * p.conv_in)) * 8u + j;
  var v = 0.0;
  if (ci < p.conv_in && co < p.conv_out) {
    if (p.transpose == 0u) {
      v = src[p.src_base + (co * p.conv_in + ci) * p.taps + t];
    } else {
      // The forward weight of (out = ci, in = co), tap mirrored: the gradient flows back through the same taps.
      v = src[p.src_base + (ci * p.conv_out + co) * p.taps + (p.taps - 1u - t)];
    }
  }
  dst[p.dst_base + i] = v;
}

// dst row r = src row r, cut or zero-padded to dst_len.
@compute @workgroup_size(WG)
fn copy_rows(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = linear_id(gid, nwg);
  if (i >= p.count) { return; }
  let col = i % p.dst_len;
  let row = i / p.dst_len;
  var v = 0.0;
  if (col < p.src_len) { v = src[p.src_base + row * p.src_len + col]; }
  dst[p.dst_base + i] = v;
}
