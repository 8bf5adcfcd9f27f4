// Sum of a whole tensor as a float32 tree with FACTOR-way nodes: a pass turns `count` values into
// t = ceil(count / FACTOR) partial sums, invocation j adding x[j], x[j + t], x[j + 2t], … (lanes read consecutive
// elements: contiguous vector loads on llvmpipe). Passes repeat on the partials until one value is left; the
// rounding error grows with FACTOR·log_FACTOR(n) ulps, not n. No workgroup barriers: on llvmpipe a barrier tree
// in workgroup memory measured 30× slower than this.
override WG: u32 = 256u;
override FACTOR: u32 = 16u;

struct Params {
  count: u32,
  base_x: u32,
  base_y: u32,
  /** Each result is divided by this: 1 for a sum (and every pass but a mean's last), n for a mean. */
  divisor: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(WG)
fn sum(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let j = gid.x + gid.y * nwg.x * WG;
  let t = (p.count + FACTOR - 1u) / FACTOR;
  if (j >= t) { return; }
  // At most FACTOR terms, since t·FACTOR ≥ count.
  var acc = 0.0;
  for (var i = j; i < p.count; i += t) {
    acc += x[p.base_x + i];
  }
  y[p.base_y + j] = acc / p.divisor;
}

// Backward of sum/mean: y = x[base_x] / divisor everywhere (x holds the upstream scalar gradient).
@compute @workgroup_size(WG)
fn broadcast(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.count) { return; }
  y[p.base_y + i] = x[p.base_x] / p.divisor;
}
