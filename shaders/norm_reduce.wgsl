// Plane-wise passes shared by BatchNorm2d and GroupNorm. A plane is one (sample, channel) slice of H·W floats;
// BatchNorm's statistics merge the planes of a channel, GroupNorm's the planes of a (sample, group).
//   moments:            partial (count, mean, M2) per run of a plane      (forward statistics)
//   grad_sums:          partial (Σdy, Σdy·(x − mean)) per run of a plane  (backward statistics)
//   normalize:          y  = (x − c.x)·c.y + c.z                           with c = coef[plane]
//   normalize_backward: dx = dy·c.y − c.z − (x − c.x)·c.w
//   merge_moments / merge_sums: FAN partials → one, level by level of a tree until one per channel or group
// Each has a scalar entry point and a `_vec4` one (planes of a multiple of 4 floats): llvmpipe loads a vec4 about
// twice as fast as four floats. Sizes and bases count elements of the array they index (vec4s in `_vec4`
// entries, and always for coef and partials).
// The grid is (blocks of a plane, planes of this chunk); no workgroup memory or barriers (costly on llvmpipe):
// every invocation writes its own partial and the merge passes combine them.
// Loops stay short: llvmpipe ends every loop of an invocation after 65 535 iterations in all (silently).
override WG: u32 = 64u;
// Elements (or vec4s) summed by one invocation.
override ITEMS: u32 = 32u;
// Partials merged by one invocation of a merge pass.
override FAN: u32 = 32u;
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

// ---- merge_moments / merge_sums: one level of the merge tree. Output j of segment s (a channel, group or plane)
// combines items [j·FAN, (j + 1)·FAN) of it; item i is at base_in + s·seg_stride + (i / run)·run_stride + i % run
// (a BatchNorm channel's runs are its planes' partials, C planes apart). Outputs are contiguous per segment. ----
struct MergeParams {
  segments: u32,
  len: u32,
  out_len: u32,
  seg_stride: u32,
  run: u32,
  run_stride: u32,
  base_in: u32,
  base_out: u32,
}

@group(0) @binding(0) var<uniform> mp: MergeParams;
@group(0) @binding(1) var<storage, read> qin: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> qout: array<vec4f>;

// Linear invocation index of a grid1d launch.
fn merge_index(gid: vec3u, nwg: vec3u) -> u32 {
  return gid.x + gid.y * nwg.x * WG;
}

// Address of item i0 of segment s, and its offset within its run (so the loop steps without dividing).
fn merge_start(s: u32, i0: u32) -> vec2u {
  return vec2u(mp.base_in + s * mp.seg_stride + (i0 / mp.run) * mp.run_stride, i0 % mp.run);
}

// (count, mean, M2) partials: shifted sums as in `moments`, the shift being the first non-empty item's mean, so
// each level rounds the mean once and n·(mean − shift)² stays small (padding partials are empty: count 0).
@compute @workgroup_size(WG)
fn merge_moments(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = merge_index(gid, nwg);
  let s = t / mp.out_len;
  if (s >= mp.segments) { return; }
  let j = t % mp.out_len;
  var at = merge_start(s, j * FAN);
  let end = min(mp.len, (j + 1u) * FAN);
  var shift = 0.0;
  var acc = vec3f(0.0);
  for (var i = j * FAN; i < end; i++) {
    let q = qin[at.x + at.y];
    if (acc.x == 0.0) { shift = q.y; }
    let d = q.y - shift;
    acc += vec3f(q.x, q.x * d, q.z + q.x * d * d);
    at.y += 1u;
    if (at.y == mp.run) { at = vec2u(at.x + mp.run_stride, 0u); }
  }
  qout[mp.base_out + t] = moments_of(acc.x, shift, acc.y, acc.z);
}

// Plain sums (gradient partials).
@compute @workgroup_size(WG)
fn merge_sums(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = merge_index(gid, nwg);
  let s = t / mp.out_len;
  if (s >= mp.segments) { return; }
  let j = t % mp.out_len;
  var at = merge_start(s, j * FAN);
  let end = min(mp.len, (j + 1u) * FAN);
  var acc = vec4f(0.0);
  for (var i = j * FAN; i < end; i++) {
    acc += qin[at.x + at.y];
    at.y += 1u;
    if (at.y == mp.run) { at = vec2u(at.x + mp.run_stride, 0u); }
  }
  qout[mp.base_out + t] = acc;
}
