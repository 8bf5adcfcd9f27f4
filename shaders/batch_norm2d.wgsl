// BatchNorm2d per-channel kernels (one invocation per channel). The heavy passes over the activations and the tree
// merging their partials are in norm_reduce.wgsl; these read one merged vec4 per channel and turn the statistics
// into per-plane coefficients (plane = n·C + c):
//   forward:  coef = (mean, invstd·w, b, invstd)          → y = (x − mean)·invstd·w + b
//   backward: coef = (mean, u, a, v) with u = w·invstd    → dx = dy·u − a − (x − mean)·v
override WG: u32 = 64u;
override AFFINE: bool = true;
// Training: statistics of the batch (forward) and the gradient through them (backward). Eval: running statistics.
override TRAINING: bool = true;
// Backward: gradient partials were computed (needed for training-mode dx and for dweight/dbias).
override SUMS: bool = true;

struct Params {
  batch: u32,
  channels: u32,
  // N·H·W: elements per channel.
  count: f32,
  momentum: f32,
  eps: f32,
}

@group(0) @binding(0) var<uniform> p: Params;

fn channel(gid: vec3u, nwg: vec3u) -> u32 {
  return gid.x + gid.y * nwg.x * WG;
}

// ---- channel_stats: merged (count, mean, M2) per channel (training) or running stats (eval) → coef; training
// updates the running stats in place as PyTorch does: r = (1 − m)·r + m·batch value, with the unbiased variance. ----
@group(0) @binding(1) var<storage, read> moments: array<vec4f>;
@group(0) @binding(2) var<storage, read> weight: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> running_mean: array<f32>;
@group(0) @binding(5) var<storage, read_write> running_var: array<f32>;
@group(0) @binding(6) var<storage, read_write> coef: array<vec4f>;

@compute @workgroup_size(WG)
fn channel_stats(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let c = channel(gid, nwg);
  if (c >= p.channels) { return; }
  var mean: f32;
  var variance: f32;
  if (TRAINING) {
    let q = moments[c];
    mean = q.y;
    variance = q.z / q.x;
    let m = p.momentum;
    running_mean[c] = (1.0 - m) * running_mean[c] + m * mean;
    running_var[c] = (1.0 - m) * running_var[c] + m * variance * p.count / (p.count - 1.0);
  } else {
    mean = running_mean[c];
    variance = running_var[c];
  }
  // 1/sqrt rather than inverseSqrt, whose precision WGSL leaves to the implementation.
  let invstd = 1.0 / sqrt(variance + p.eps);
  var w = 1.0;
  var b = 0.0;
  if (AFFINE) {
    w = weight[c];
    b = bias[c];
  }
  for (var n = 0u; n < p.batch; n++) {
    coef[n * p.channels + c] = vec4f(mean, invstd * w, b, invstd);
  }
}

// ---- backward_coeffs: merged (Σdy, Σdy·(x − mean)) per channel + forward coef → backward coef, dweight, dbias.
// Training: dx = w·invstd·(dy − mean(dy) − x̂·mean(dy·x̂)); eval: dx = w·invstd·dy. ----
@group(0) @binding(1) var<storage, read> sums: array<vec4f>;
@group(0) @binding(2) var<storage, read> fcoef: array<vec4f>;
@group(0) @binding(3) var<storage, read> gweight: array<f32>;
@group(0) @binding(4) var<storage, read_write> bcoef: array<vec4f>;
@group(0) @binding(5) var<storage, read_write> dweight: array<f32>;
@group(0) @binding(6) var<storage, read_write> dbias: array<f32>;

@compute @workgroup_size(WG)
fn backward_coeffs(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let c = channel(gid, nwg);
  if (c >= p.channels) { return; }
  let f = fcoef[c];
  let invstd = f.w;
  // Σdy and Σdy·x̂ over the channel.
  var sum_dy = 0.0;
  var sum_dy_xhat = 0.0;
  if (SUMS) {
    let q = sums[c];
    sum_dy = q.x;
    sum_dy_xhat = q.y * invstd;
    if (AFFINE) {
      dweight[c] = sum_dy_xhat;
      dbias[c] = sum_dy;
    }
  }
  var w = 1.0;
  if (AFFINE) { w = gweight[c]; }
  let u = w * invstd;
  var a = 0.0;
  var v = 0.0;
  if (TRAINING) {
    a = u * sum_dy / p.count;
    v = u * invstd * sum_dy_xhat / p.count;
  }
  for (var n = 0u; n < p.batch; n++) {
    bcoef[n * p.channels + c] = vec4f(f.x, u, a, v);
  }
}
