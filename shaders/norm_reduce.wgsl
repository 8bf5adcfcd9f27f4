// Plane-wise passes shared by BatchNorm2d and GroupNorm. A plane is one (sample, channel) slice of H·W floats;
// BatchNorm's statistics merge the planes of a channel, GroupNorm's the planes of a (sample, group).
//   moments:            partial (count, mean, M2) per run of a plane      (forward statistics)
//   grad_sums:          partial (Σdy, Σdy·(x − mean)) per run of a plane  (backward statistics)
//   normalize:          y  = (x − c.x)·c.y + c.z                           with c = coef[plane]
//   normalize_backward: dx = dy·c.y − c.z − (x − c.x)·c.w
// Each has a scalar entry point and a `_vec4` one (planes of a multiple of 4 floats): llvmpipe loads a vec4 about
// twice as fast as four floats. Sizes and bases count elements of the array they index (vec4s in `_vec4`
// entries, and always for coef and partials).
// The grid is (blocks of a plane, planes of this chunk); no workgroup memory or barriers (costly on llvmpipe):
// every invocation writes its own partial and the op's stats kernel merges them.
override WG: u32 = 64u;
// Elements (or vec4s) summed by one invocation.
override ITEMS: u32 = 32u;
// Invocations reading consecutive elements: a SIMD row of llvmpipe (8 × f32 on AVX2) reads one contiguous span.
const LANES: u32 = 8u;

struct Params {
  plane_size: u32,
  // Partials (vec4) per plane.
  per_plane: u32,
  base_x: u32,
  base_dy: u32,
  base_coef: u32,
  base_out: u32,
}

@group(0) @binding(0) var<uniform> p: Params;

// Element `k` of this invocation's run is at first + k·LANES: a group of LANES invocations covers LANES·ITEMS
// consecutive elements, each SIMD load reading LANES neighbours.
fn run_start(wid: vec3u, li: u32) -> u32 {
  let j = wid.x * WG + li;
  return (j / LANES) * LANES * ITEMS + j % LANES;
}

fn partial_index(wid: vec3u, li: u32) -> u32 {
  return wid.y * p.per_plane + wid.x * WG + li;
}

// Element of the plane `wid.y` for the elementwise passes; blocks past the per-dimension limit continue in z.
fn apply_index(wid: vec3u, li: u32, nwg: vec3u) -> u32 {
  return (wid.x + wid.z * nwg.x) * WG + li;
}

// Shifted sums → (count, mean, M2). The shift is an element of the run, so n·(mean − shift)² ≤ n·M2: the
// cancellation in s2 − s²/n costs at most log2(n) bits, whatever the mean.
fn moments_of(n: f32, shift: f32, s: f32, s2: f32) -> vec4f {
  if (n == 0.0) { return vec4f(0.0); }
  return vec4f(n, shift + s / n, max(s2 - s * s / n, 0.0), 0.0);
}

// ---- moments: x → partials ----
@group(0) @binding(1) var<storage, read> mx: array<f32>;
@group(0) @binding(1) var<storage, read> mx4: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> mpart: array<vec4f>;

@compute @workgroup_size(WG)
fn moments(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32) {
  let first = run_start(wid, li);
  let xb = p.base_x + wid.y * p.plane_size;
  var shift = 0.0;
  if (first < p.plane_size) { shift = mx[xb + first]; }
  var n = 0u;
  var s = 0.0;
  var s2 = 0.0;
  for (var k = 0u; k < ITEMS; k++) {
    let e = first + k * LANES;
    if (e >= p.plane_size) { break; }
    let d = mx[xb + e] - shift;
    s += d;
    s2 += d * d;
    n += 1u;
  }
  mpart[p.base_out + partial_index(wid, li)] = moments_of(f32(n), shift, s, s2);
}

@compute @workgroup_size(WG)
fn moments_vec4(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32) {
  let first = run_start(wid, li);
  let xb = p.base_x + wid.y * p.plane_size;
  var shift = 0.0;
  if (first < p.plane_size) { shift = mx4[xb + first].x; }
  var n = 0u;
  var s = vec4f(0.0);
  var s2 = vec4f(0.0);
  for (var k = 0u; k < ITEMS; k++) {
    let e = first + k * LANES;
    if (e >= p.plane_size) { break; }
    let d = mx4[xb + e] - shift;
    s += d;
    s2 += d * d;
    n += 4u;
  }
  let one = vec4f(1.0);
  mpart[p.base_out + partial_index(wid, li)] = moments_of(f32(n), shift, dot(s, one), dot(s2, one));
}

// ---- grad_sums: dy, x, coef (mean in .x) → partials (Σdy, Σdy·(x − mean), 0, 0) ----
@group(0) @binding(1) var<storage, read> gdy: array<f32>;
@group(0) @binding(1) var<storage, read> gdy4: array<vec4f>;
@group(0) @binding(2) var<storage, read> gx: array<f32>;
@group(0) @binding(2) var<storage, read> gx4: array<vec4f>;
@group(0) @binding(3) var<storage, read> gcoef: array<vec4f>;
@group(0) @binding(4) var<storage, read_write> gpart: array<vec4f>;

@compute @workgroup_size(WG)
fn grad_sums(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32) {
  let first = run_start(wid, li);
  let mean = gcoef[p.base_coef + wid.y].x;
  let xb = p.base_x + wid.y * p.plane_size;
  let gb = p.base_dy + wid.y * p.plane_size;
  var s = 0.0;
  var sx = 0.0;
  for (var k = 0u; k < ITEMS; k++) {
    let e = first + k * LANES;
    if (e >= p.plane_size) { break; }
    let g = gdy[gb + e];
    s += g;
    sx += g * (gx[xb + e] - mean);
  }
  gpart[p.base_out + partial_index(wid, li)] = vec4f(s, sx, 0.0, 0.0);
}

@compute @workgroup_size(WG)
fn grad_sums_vec4(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32) {
  let first = run_start(wid, li);
  let mean = gcoef[p.base_coef + wid.y].x;
  let xb = p.base_x + wid.y * p.plane_size;
  let gb = p.base_dy + wid.y * p.plane_size;
  var s = vec4f(0.0);
  var sx = vec4f(0.0);
  for (var k = 0u; k < ITEMS; k++) {
    let e = first + k * LANES;
    if (e >= p.plane_size) { break; }
    let g = gdy4[gb + e];
    s += g;
    sx += g * (gx4[xb + e] - mean);
  }
  let one = vec4f(1.0);
  gpart[p.base_out + partial_index(wid, li)] = vec4f(dot(s, one), dot(sx, one), 0.0, 0.0);
}

// ---- normalize: x, coef → y (one element or vec4 per invocation; grid (blocks, planes, more blocks)) ----
@group(0) @binding(1) var<storage, read> nx: array<f32>;
@group(0) @binding(1) var<storage, read> nx4: array<vec4f>;
@group(0) @binding(2) var<storage, read> ncoef: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> ny: array<f32>;
@group(0) @binding(3) var<storage, read_write> ny4: array<vec4f>;

@compute @workgroup_size(WG)
fn normalize(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32,
             @builtin(num_workgroups) nwg: vec3u) {
  let e = apply_index(wid, li, nwg);
  if (e >= p.plane_size) { return; }
  let c = ncoef[p.base_coef + wid.y];
  let i = wid.y * p.plane_size + e;
  ny[p.base_out + i] = (nx[p.base_x + i] - c.x) * c.y + c.z;
}

@compute @workgroup_size(WG)
fn normalize_vec4(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32,
                  @builtin(num_workgroups) nwg: vec3u) {
  let e = apply_index(wid, li, nwg);
  if (e >= p.plane_size) { return; }
  let c = ncoef[p.base_coef + wid.y];
  let i = wid.y * p.plane_size + e;
  ny4[p.base_out + i] = (nx4[p.base_x + i] - c.x) * c.y + c.z;
}

// ---- normalize_backward: dy, x, coef → dx ----
@group(0) @binding(1) var<storage, read> bdy: array<f32>;
@group(0) @binding(1) var<storage, read> bdy4: array<vec4f>;
@group(0) @binding(2) var<storage, read> bx: array<f32>;
@group(0) @binding(2) var<storage, read> bx4: array<vec4f>;
@group(0) @binding(3) var<storage, read> bcoef: array<vec4f>;
@group(0) @binding(4) var<storage, read_write> bdx: array<f32>;
@group(0) @binding(4) var<storage, read_write> bdx4: array<vec4f>;

@compute @workgroup_size(WG)
fn normalize_backward(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32,
                      @builtin(num_workgroups) nwg: vec3u) {
  let e = apply_index(wid, li, nwg);
  if (e >= p.plane_size) { return; }
  let c = bcoef[p.base_coef + wid.y];
  let i = wid.y * p.plane_size + e;
  bdx[p.base_out + i] = bdy[p.base_dy + i] * c.y - c.z - (bx[p.base_x + i] - c.x) * c.w;
}

@compute @workgroup_size(WG)
fn normalize_backward_vec4(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32,
                           @builtin(num_workgroups) nwg: vec3u) {
  let e = apply_index(wid, li, nwg);
  if (e >= p.plane_size) { return; }
  let c = bcoef[p.base_coef + wid.y];
  let i = wid.y * p.plane_size + e;
  bdx4[p.base_out + i] = bdy4[p.base_dy + i] * c.y - c.z - (bx4[p.base_x + i] - c.x) * c.w;
}
