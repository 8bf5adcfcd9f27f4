// MaxPool2d, 2×2 windows, stride 2 (PyTorch nn.MaxPool2d(2)): output floor(h/2)×floor(w/2), an odd last row or
// column is dropped. The max of a window is its first element in row-major order unless a later one is greater or
// NaN (PyTorch's rule `v > max || isnan(v)`), so NaN propagates. The forward saves that element's position in the
// window (0..3, as f32) and the backward is a gather: every input element reads the gradient of its window.
// Tensors are bound per chunk of whole (sample, channel) planes; `base_*` locate the chunk inside its bindings.
override WG: u32 = 64u;

struct Params {
  h: u32,          // input plane
  w: u32,
  oh: u32,         // output plane
  ow: u32,
  planes: u32,     // (sample, channel) planes in this chunk
  base_x: u32,     // chunk start in the input-side binding (x, dx)
  base_y: u32,     // chunk start in the output-side binding (y, dy)
  base_i: u32,     // chunk start in the index binding
  lanes: u32,      // invocations with work
  save_index: u32, // forward: 0 when no backward will need the indices
}

@group(0) @binding(0) var<uniform> p: Params;
// forward: x → y, index
@group(0) @binding(1) var<storage, read> x: array<vec4f>;
@group(0) @binding(1) var<storage, read> x_f: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<vec2f>;
@group(0) @binding(2) var<storage, read_write> y_f: array<f32>;
@group(0) @binding(3) var<storage, read_write> index_out: array<vec2f>;
@group(0) @binding(3) var<storage, read_write> index_out_f: array<f32>;
// backward: dy, index → dx
@group(0) @binding(1) var<storage, read> dy: array<vec2f>;
@group(0) @binding(1) var<storage, read> dy_f: array<f32>;
@group(0) @binding(2) var<storage, read> index_in: array<vec2f>;
@group(0) @binding(2) var<storage, read> index_in_f: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> dx_f: array<f32>;

fn lane(gid: vec3u, nwg: vec3u) -> u32 {
  return gid.x + gid.y * nwg.x * WG;
}

// By the bits: `v != v` may be folded away by compilers that assume no NaNs.
fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

// Max and its position over a window given in row-major order.
fn window_max(v: vec4f) -> vec2f {
  var m = vec2f(v.x, 0.0);
  m = select(m, vec2f(v.y, 1.0), v.y > m.x || is_nan(v.y));
  m = select(m, vec2f(v.z, 2.0), v.z > m.x || is_nan(v.z));
  m = select(m, vec2f(v.w, 3.0), v.w > m.x || is_nan(v.w));
  return m;
}

// w % 4 == 0: each invocation pools a 2×4 block of input into 2 outputs (one vec4 per input row).
@compute @workgroup_size(WG)
fn forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = lane(gid, nwg);
  if (t >= p.lanes) { return; }
  let pairs = p.oh * p.ow / 2u;
  let plane = t / pairs;
  let r = t % pairs;
  let i = r / (p.ow / 2u);
  let k = r % (p.ow / 2u);
  let a = (p.base_x + plane * p.h * p.w + 2u * i * p.w) / 4u + k;
  let top = x[a];
  let bottom = x[a + p.w / 4u];
  let m0 = window_max(vec4f(top.xy, bottom.xy));
  let m1 = window_max(vec4f(top.zw, bottom.zw));
  let o = (p.base_y + plane * p.oh * p.ow + i * p.ow) / 2u + k;
  y[o] = vec2f(m0.x, m1.x);
  if (p.save_index != 0u) {
    index_out[(p.base_i + plane * p.oh * p.ow + i * p.ow) / 2u + k] = vec2f(m0.y, m1.y);
  }
}

// Any width: one output per invocation.
@compute @workgroup_size(WG)
fn forward_any(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = lane(gid, nwg);
  if (t >= p.lanes) { return; }
  let plane = t / (p.oh * p.ow);
  let r = t % (p.oh * p.ow);
  let i = r / p.ow;
  let j = r % p.ow;
  let a = p.base_x + plane * p.h * p.w + 2u * i * p.w + 2u * j;
  let m = window_max(vec4f(x_f[a], x_f[a + 1u], x_f[a + p.w], x_f[a + p.w + 1u]));
  y_f[p.base_y + t] = m.x;
  if (p.save_index != 0u) {
    index_out_f[p.base_i + t] = m.y;
  }
}

// The gradient of a window spread over its 4 positions (row-major): g where the saved position is, else 0.
fn spread(g: f32, k: f32) -> vec4f {
  return select(vec4f(0.0), vec4f(g), vec4f(k) == vec4f(0.0, 1.0, 2.0, 3.0));
}

// w % 4 == 0: each invocation writes the 2×4 input block of 2 outputs; with an odd h, the invocations of the last
// output row also zero the dropped input row below.
@compute @workgroup_size(WG)
fn backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = lane(gid, nwg);
  if (t >= p.lanes) { return; }
  let pairs = p.oh * p.ow / 2u;
  let plane = t / pairs;
  let r = t % pairs;
  let i = r / (p.ow / 2u);
  let k = r % (p.ow / 2u);
  let g = dy[(p.base_y + plane * p.oh * p.ow + i * p.ow) / 2u + k];
  let s = index_in[(p.base_i + plane * p.oh * p.ow + i * p.ow) / 2u + k];
  let a = spread(g.x, s.x);
  let b = spread(g.y, s.y);
  let o = (p.base_x + plane * p.h * p.w + 2u * i * p.w) / 4u + k;
  dx[o] = vec4f(a.xy, b.xy);
  dx[o + p.w / 4u] = vec4f(a.zw, b.zw);
  if (i + 1u == p.oh && p.h % 2u == 1u) {
    dx[o + p.w / 2u] = vec4f(0.0);
  }
}

// Any width: one input element per invocation (elements of a dropped last row or column get 0).
@compute @workgroup_size(WG)
fn backward_any(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = lane(gid, nwg);
  if (t >= p.lanes) { return; }
  let plane = t / (p.h * p.w);
  let r = (t % (p.h * p.w)) / p.w;
  let c = t % p.w;
  let i = r / 2u;
  let j = c / 2u;
  var v = 0.0;
  if (i < p.oh && j < p.ow) {
    let o = plane * p.oh * p.ow + i * p.ow + j;
    if (u32(index_in_f[p.base_i + o]) == (r % 2u) * 2u + c % 2u) {
      v = dy_f[p.base_y + o];
    }
  }
  dx_f[p.base_x + t] = v;
}
