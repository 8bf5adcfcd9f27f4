// One Adam step (torch.optim.Adam, amsgrad off) over one parameter tensor, in PyTorch's order of operations:
//   g ← g + wd·p;  m ← β1·m + (1 − β1)·g;  v ← β2·v + (1 − β2)·g·g;
//   p ← p − step_size·m / (sqrt(v) / sqrt(1 − β2^t) + eps),  step_size = lr / (1 − β1^t).
// The step-dependent scalars come from a small storage buffer (rewritten once per step), so the uniform block of a
// parameter stays the same from step to step.
override WG: u32 = 256u;

struct Params {
  count: u32,
  base_p: u32,
  base_g: u32,
  base_m: u32,
  base_v: u32,
  /** Index of this parameter's [step_size, sqrt(1 − β2^t)] pair in `hyper`. */
  slot: u32,
  beta1: f32,
  one_minus_beta1: f32,
  beta2: f32,
  one_minus_beta2: f32,
  eps: f32,
  weight_decay: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> param: array<f32>;
@group(0) @binding(2) var<storage, read> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> m: array<f32>;
@group(0) @binding(4) var<storage, read_write> v: array<f32>;
@group(0) @binding(5) var<storage, read> hyper: array<f32>;

@compute @workgroup_size(WG)
fn step(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= params.count) { return; }
  let step_size = hyper[2u * params.slot];
  let bias2_sqrt = hyper[2u * params.slot + 1u];
  let p = param[params.base_p + i];
  let g = grad[params.base_g + i] + params.weight_decay * p;
  let m1 = m[params.base_m + i] * params.beta1 + g * params.one_minus_beta1;
  let v1 = v[params.base_v + i] * params.beta2 + params.one_minus_beta2 * g * g;
  m[params.base_m + i] = m1;
  v[params.base_v + i] = v1;
  let denom = sqrt(v1) / bias2_sqrt + params.eps;
  param[params.base_p + i] = p + (-step_size * m1) / denom;
}
