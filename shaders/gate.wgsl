// The attention gate's broadcast product y[n,c,h,w] = x[n,c,h,w]·psi[n,0,h,w] and its psi gradient.
// One dispatch covers whole H·W planes: gid.z picks the plane, gid.x/gid.y (folded) the pixel in it.
override WG: u32 = 256u;

struct Params {
  /** H·W. */
  plane: u32,
  /** C (forward); channels summed by this dispatch (backward_psi). */
  channels: u32,
  /** forward: global (n·C + c) index of the dispatch's first plane. */
  plane0: u32,
  /** forward: first batch item bound in psi. */
  n0: u32,
  /** backward_psi: planes per batch item (C) in dy and x. */
  item_planes: u32,
  base_a: u32,
  base_b: u32,
  base_y: u32,
  /** backward_psi: add to dpsi (second and later channel blocks) instead of overwriting it. */
  accumulate: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

// The same bindings seen as vec4 (entry points ending in 4, used when H·W % 4 == 0: then every plane and every
// binding base is 4-aligned). Contiguous vec4 loads run about twice as fast as scalar ones on llvmpipe.
@group(0) @binding(1) var<storage, read> a4: array<vec4f>;
@group(0) @binding(2) var<storage, read> b4: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> y4: array<vec4f>;

fn pixel(gid: vec3u, nwg: vec3u) -> u32 {
  return gid.x + gid.y * nwg.x * WG;
}

// y = a·psi with a = x (forward) or a = dy (the x gradient, dy·psi); b = psi.
@compute @workgroup_size(WG)
fn forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = pixel(gid, nwg);
  if (i >= p.plane) { return; }
  let q = gid.z;
  let n = (p.plane0 + q) / p.channels;
  let at = q * p.plane + i;
  y[p.base_y + at] = a[p.base_a + at] * b[p.base_b + (n - p.n0) * p.plane + i];
}

// dpsi[n,0,h,w] (+)= Σ_c dy[n,c,h,w]·x[n,c,h,w] over a block of `channels` channels (a = dy, b = x): a gather, one
// invocation per psi element, since WGSL has no float atomics. gid.z = batch item within the dispatch. Blocks of a
// few channels, accumulated, keep the number of concurrent read streams low (2.3× faster on llvmpipe than 32).
@compute @workgroup_size(WG)
fn backward_psi(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = pixel(gid, nwg);
  if (i >= p.plane) { return; }
  let r = gid.z;
  var acc = 0.0;
  for (var c = 0u; c < p.channels; c++) {
    let at = (r * p.item_planes + c) * p.plane + i;
    acc += a[p.base_a + at] * b[p.base_b + at];
  }
  let out = p.base_y + r * p.plane + i;
  y[out] = select(acc, y[out] + acc, p.accumulate != 0u);
}

@compute @workgroup_size(WG)
fn forward4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = pixel(gid, nwg);
  let plane = p.plane / 4u;
  if (i >= plane) { return; }
  let q = gid.z;
  let n = (p.plane0 + q) / p.channels;
  let at = q * plane + i;
  y4[p.base_y / 4u + at] = a4[p.base_a / 4u + at] * b4[p.base_b / 4u + (n - p.n0) * plane + i];
}

@compute @workgroup_size(WG)
fn backward_psi4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = pixel(gid, nwg);
  let plane = p.plane / 4u;
  if (i >= plane) { return; }
  let r = gid.z;
  var acc = vec4f();
  for (var c = 0u; c < p.channels; c++) {
    let at = (r * p.item_planes + c) * plane + i;
    acc += a4[p.base_a / 4u + at] * b4[p.base_b / 4u + at];
  }
  let out = p.base_y / 4u + r * plane + i;
  y4[out] = select(acc, y4[out] + acc, p.accumulate != 0u);
}
