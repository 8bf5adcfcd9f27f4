// Binary cross-entropy on probabilities with PyTorch's nn.BCELoss semantics: per element
// l = −w·(t·max(log p, −100) + (1 − t)·max(log(1 − p), −100)), and ignored pixels (ignore = 1) left out of the mean.
// The mean itself is a tree sum (shaders/reduce.wgsl) of the per-element values written by `loss`.
override WG: u32 = 256u;
override HAS_WEIGHT: bool = false;
override HAS_IGNORE: bool = false;

struct Params {
  count: u32,
  base_p: u32,
  base_t: u32,
  base_w: u32,
  base_ig: u32,
  base_y: u32,
  /** finish: the number of elements, as f32. */
  total: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> prob: array<f32>;
@group(0) @binding(2) var<storage, read> truth: array<f32>;
// weight and ignore are bound to a dummy buffer (and never read) when absent.
@group(0) @binding(3) var<storage, read> weight: array<f32>;
@group(0) @binding(4) var<storage, read> ignore: array<f32>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>;
// backward only: the upstream gradient (one value) and the forward's [Σ w·l, Σ ignore, kept count].
@group(0) @binding(6) var<storage, read> grad_out: array<f32>;
@group(0) @binding(7) var<storage, read> stats: array<f32>;

fn index(gid: vec3u, nwg: vec3u) -> u32 {
  return gid.x + gid.y * nwg.x * WG;
}

/** log v clamped at −100 as PyTorch does; v = 0 gives −100 without going through −inf. */
fn log_clamped(v: f32) -> f32 {
  return select(-100.0, max(log(v), -100.0), v > 0.0);
}

/** log(1 − p) clamped at −100, accurate for small p (PyTorch uses log1p): 1 − p in float32 would lose p's low
 * bits, so below 1/16 a Taylor series (truncation ≈ p⁸/9 relative) replaces it. */
fn log1m_clamped(p: f32) -> f32 {
  if (p < 0.0625) {
    return -p * (1.0 + p * (1.0 / 2.0 + p * (1.0 / 3.0 + p * (1.0 / 4.0 + p * (1.0 / 5.0 + p * (1.0 / 6.0 +
      p * (1.0 / 7.0 + p * (1.0 / 8.0))))))));
  }
  return log_clamped(1.0 - p);
}

fn weight_at(i: u32) -> f32 {
  if (HAS_WEIGHT) {
    return weight[params.base_w + i];
  }
  return 1.0;
}

/** 1 − ignore: 1 for kept pixels, 0 for ignored ones. */
fn keep_at(i: u32) -> f32 {
  if (HAS_IGNORE) {
    return 1.0 - ignore[params.base_ig + i];
  }
  return 1.0;
}

// y[i] = keep·w·l(p, t), summed afterwards.
@compute @workgroup_size(WG)
fn loss(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i >= params.count) { return; }
  let p = prob[params.base_p + i];
  let t = truth[params.base_t + i];
  let l = (t - 1.0) * log1m_clamped(p) - t * log_clamped(p);
  y[params.base_y + i] = l * weight_at(i) * keep_at(i);
}

// dp = g·(p − t)/max((1 − p)·p, 1e-12)·w·keep / count, PyTorch's binary_cross_entropy_backward order of operations
// (its 1e-12 keeps p = 0 or 1 finite); a loss with nothing kept has zero gradient.
@compute @workgroup_size(WG)
fn backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i >= params.count) { return; }
  let p = prob[params.base_p + i];
  let t = truth[params.base_t + i];
  let kept = stats[2];
  let d = grad_out[0] * (p - t) / max((1.0 - p) * p, 1e-12) * weight_at(i) * keep_at(i);
  y[params.base_y + i] = select(0.0, d / kept, kept > 0.5);
}

// ---- one invocation after the sums: sums = [Σ keep·w·l, Σ ignore] in, kept count appended, loss = mean ----
@group(0) @binding(1) var<storage, read_write> sums: array<f32>;
@group(0) @binding(2) var<storage, read_write> loss_out: array<f32>;

@compute @workgroup_size(1)
fn finish() {
  var kept = params.total;
  if (HAS_IGNORE) {
    kept -= sums[1];
  }
  sums[2] = kept;
  loss_out[0] = select(0.0, sums[0] / kept, kept > 0.5);
}
