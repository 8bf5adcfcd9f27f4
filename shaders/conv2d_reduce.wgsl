// Second pass of the convolution's weight and bias gradients: adds up the partial sums (slots) written by
// conv2d_backward_weight.wgsl and writes PyTorch's layouts ([cout][cin][k][k] and [cout]).
override WG: u32 = 256u;

struct Params {
  count: u32,       // outputs of this dispatch: cout · cin · taps (weights) or cout (bias)
  slots: u32,
  slot_len: u32,    // floats per slot
  cin: u32,
  taps: u32,
  co_pad: u32,      // partial layout per slot: [ci][tap][co_pad] (weights) or [slot][co_pad][4] (bias)
  src_base: u32,
  dst_base: u32,
  accumulate: u32,  // 1: add to dst (the partial buffer was filled more than once)
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> part: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

fn linear_id(gid: vec3u, nwg: vec3u) -> u32 {
  return gid.x + gid.y * nwg.x * WG;
}

@compute @workgroup_size(WG)
fn weight_grad_reduce(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = linear_id(gid, nwg);
  if (i >= p.count) { return; }
  let t = i % p.taps;
  let ci = (i / p.taps) % p.cin;
  let co = i / (p.taps * p.cin);
  var idx = p.src_base + (ci * p.taps + t) * p.co_pad + co;
  var sum = 0.0;
  for (var k = 0u; k < p.slots; k++) {
    sum += part[idx];
    idx += p.slot_len;
  }
  if (p.accumulate != 0u) { sum += dst[p.dst_base + i]; }
  dst[p.dst_base + i] = sum;
}

@compute @workgroup_size(WG)
fn bias_grad_reduce(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let co = linear_id(gid, nwg);
  if (co >= p.count) { return; }
  var idx = p.src_base + co * 4u;
  var sum = 0.0;
  for (var k = 0u; k < p.slots; k++) {
    sum += (part[idx] + part[idx + 1u]) + (part[idx + 2u] + part[idx + 3u]);
    idx += p.co_pad * 4u;
  }
  if (p.accumulate != 0u) { sum += dst[p.dst_base + co]; }
  dst[p.dst_base + co] = sum;
}
