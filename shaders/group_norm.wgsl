// GroupNorm per-group kernels (one invocation per (sample, group) "slot", or per channel for the parameter
// gradients). The heavy passes over the activations and the tree merging their partials are in norm_reduce.wgsl;
// the planes n·C + g·Cg + j (j < Cg) of a slot are consecutive. Per-plane coefficients, as in batch_norm2d.wgsl:
//   forward:  coef = (mean, invstd·w, b, invstd)                  → y = (x − mean)·invstd·w + b
//   backward: coef = (mean, u, a, v) with u = invstd·w_c          → dx = dy·u − a − (x − mean)·v
override WG: u32 = 64u;
override AFFINE: bool = true;

struct Params {
  batch: u32,
  channels: u32,
  groups: u32,
  // (C/G)·H·W: elements per group.
  count: f32,
  eps: f32,
}

@group(0) @binding(0) var<uniform> p: Params;

fn index(gid: vec3u, nwg: vec3u) -> u32 {
  return gid.x + gid.y * nwg.x * WG;
}

// ---- group_stats: merged (count, mean, M2) per slot → coef ----
@group(0) @binding(1) var<storage, read> moments: array<vec4f>;
@group(0) @binding(2) var<storage, read> weight: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> coef: array<vec4f>;

@compute @workgroup_size(WG)
fn group_stats(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let slot = index(gid, nwg);
  if (slot >= p.batch * p.groups) { return; }
  let cg = p.channels / p.groups;
  let plane0 = (slot / p.groups) * p.channels + (slot % p.groups) * cg;
  let q = moments[slot];
  let mean = q.y;
  let variance = q.z / q.x;
  // 1/sqrt rather than inverseSqrt, whose precision WGSL leaves to the implementation.
  let invstd = 1.0 / sqrt(variance + p.eps);
  for (var j = 0u; j < cg; j++) {
    let c = plane0 % p.channels + j;
    var w = 1.0;
    var b = 0.0;
    if (AFFINE) {
      w = weight[c];
      b = bias[c];
    }
    coef[plane0 + j] = vec4f(mean, invstd * w, b, invstd);
  }
}

// ---- backward_coeffs: merged (Σdy, Σdy·(x − mean)) per plane + forward coef → backward coef and, with affine,
// per-plane (Σdy, Σdy·x̂) for the parameter gradients.
// dx = invstd·(w_c·dy − mean_g(w·dy) − x̂·mean_g(w·dy·x̂)), the means over the group's (C/G)·H·W elements. ----
@group(0) @binding(1) var<storage, read> psums: array<vec4f>;
@group(0) @binding(2) var<storage, read> fcoef: array<vec4f>;
@group(0) @binding(3) var<storage, read> gweight: array<f32>;
@group(0) @binding(4) var<storage, read_write> bcoef: array<vec4f>;
@group(0) @binding(5) var<storage, read_write> plane_sums: array<vec2f>;

@compute @workgroup_size(WG)
fn backward_coeffs(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let slot = index(gid, nwg);
  if (slot >= p.batch * p.groups) { return; }
  let cg = p.channels / p.groups;
  let plane0 = (slot / p.groups) * p.channels + (slot % p.groups) * cg;
  let f = fcoef[plane0];
  let invstd = f.w;
  // Σ_c w_c·Σdy and Σ_c w_c·Σdy·x̂ over the group.
  var wsum_dy = 0.0;
  var wsum_dy_xhat = 0.0;
  for (var j = 0u; j < cg; j++) {
    let q = psums[plane0 + j];
    let s = q.x;
    let sx = q.y;
    var w = 1.0;
    if (AFFINE) {
      w = gweight[plane0 % p.channels + j];
      plane_sums[plane0 + j] = vec2f(s, sx * invstd);
    }
    wsum_dy += w * s;
    wsum_dy_xhat += w * sx * invstd;
  }
  let a = invstd * wsum_dy / p.count;
  let v = invstd * invstd * wsum_dy_xhat / p.count;
  for (var j = 0u; j < cg; j++) {
    var w = 1.0;
    if (AFFINE) { w = gweight[plane0 % p.channels + j]; }
    bcoef[plane0 + j] = vec4f(f.x, invstd * w, a, v);
  }
}

// ---- param_grads: per-plane (Σdy, Σdy·x̂) → dweight, dbias (sums over the batch), one invocation per channel ----
@group(0) @binding(1) var<storage, read> sums: array<vec2f>;
@group(0) @binding(2) var<storage, read_write> dweight: array<f32>;
@group(0) @binding(3) var<storage, read_write> dbias: array<f32>;

@compute @workgroup_size(WG)
fn param_grads(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let c = index(gid, nwg);
  if (c >= p.channels) { return; }
  var t = vec2f(0.0);
  for (var n = 0u; n < p.batch; n++) {
    t += sums[n * p.channels + c];
  }
  dweight[c] = t.y;
  dbias[c] = t.x;
}
