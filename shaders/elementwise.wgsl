// Flat elementwise kernels over one chunk of `count` elements. Every operand is bound from an aligned offset,
// so each has its own base index (see src/kernels/ranges.ts).
override WG: u32 = 256u;

struct Params {
  count: u32,
  base_a: u32,
  base_b: u32,
  base_y: u32,
  scalar: f32,
}

@group(0) @binding(0) var<uniform> p: Params;

fn index(gid: vec3u, nwg: vec3u) -> u32 {
  return gid.x + gid.y * nwg.x * WG;
}

// ---- two inputs, one output: y = a op b ----
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(WG)
fn add(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i >= p.count) { return; }
  y[p.base_y + i] = a[p.base_a + i] + b[p.base_b + i];
}

@compute @workgroup_size(WG)
fn mul(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i >= p.count) { return; }
  y[p.base_y + i] = a[p.base_a + i] * b[p.base_b + i];
}

// relu backward: a = forward input x, b = dy; y = dy where x > 0 (PyTorch: gradient 0 at x == 0).
@compute @workgroup_size(WG)
fn relu_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i >= p.count) { return; }
  y[p.base_y + i] = select(0.0, b[p.base_b + i], a[p.base_a + i] > 0.0);
}

// sigmoid backward from the forward output: a = s, b = dy; y = dy·s·(1−s).
@compute @workgroup_size(WG)
fn sigmoid_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i >= p.count) { return; }
  let s = a[p.base_a + i];
  y[p.base_y + i] = b[p.base_b + i] * s * (1.0 - s);
}

// ---- one input, one output (bindings 1 and 3; binding 2 is bound to a dummy) ----
@compute @workgroup_size(WG)
fn relu(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i >= p.count) { return; }
  y[p.base_y + i] = max(a[p.base_a + i], 0.0);
}

@compute @workgroup_size(WG)
fn sigmoid(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i >= p.count) { return; }
  let x = a[p.base_a + i];
  // Two branches so exp never overflows (stable for large |x|).
  let e = exp(-abs(x));
  y[p.base_y + i] = select(e / (1.0 + e), 1.0 / (1.0 + e), x >= 0.0);
}

@compute @workgroup_size(WG)
fn scale(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i >= p.count) { return; }
  y[p.base_y + i] = a[p.base_a + i] * p.scalar;
}

// ---- in place: y += a (gradient accumulation) ----
@compute @workgroup_size(WG)
fn add_inplace(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i >= p.count) { return; }
  y[p.base_y + i] = y[p.base_y + i] + a[p.base_a + i];
}

@compute @workgroup_size(WG)
fn fill(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i >= p.count) { return; }
  y[p.base_y + i] = p.scalar;
}
