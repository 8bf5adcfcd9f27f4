// MaxPool2d 2×2, stride 2 (shaders/max_pool2d.wgsl). Work is split into chunks of whole (sample, channel) planes
// so that no binding exceeds rt.maxBinding.
import { Params } from "./params.ts";
import { bindElems, chunks, grid1d, itemsPerBinding } from "./ranges.ts";
import type { BufferRange, KernelSpec, Runtime } from "./runtime.ts";

/** x is n×c×h×w; y and the saved window positions are n×c×floor(h/2)×floor(w/2). */
export interface MaxPool2dDims {
  n: number;
  c: number;
  h: number;
  w: number;
}

const WG = 64;

function check(d: MaxPool2dDims): void {
  for (const [k, v] of Object.entries(d)) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`max_pool2d: ${k} = ${v} must be a positive integer`);
  }
  if (d.h < 2 || d.w < 2) throw new RangeError(`max_pool2d: a ${d.h}×${d.w} input has no 2×2 window`);
}

/** Rounds a binding up to whole vec4s so the kernels' vector views cover every element. */
function vec4Range(r: BufferRange): BufferRange {
  return { ...r, size: Math.min(r.buffer.size - r.offset, Math.ceil(r.size / 16) * 16) };
}

/**
 * Runs the forward or backward kernel over chunks of planes. `input` has h×w planes (x or dx), `output` and `index`
 * oh×ow planes (y or dy, and the window positions). With w % 4 == 0 every chunk start is a multiple of 4 (input)
 * and 2 (output) elements, as the vector kernels need.
 */
function run(
  rt: Runtime,
  pass: "forward" | "backward",
  d: MaxPool2dDims,
  bufs: { input: GPUBuffer; output: GPUBuffer; index: GPUBuffer | null },
): void {
  const oh = Math.floor(d.h / 2);
  const ow = Math.floor(d.w / 2);
  const inPlane = d.h * d.w;
  const outPlane = oh * ow;
  const fast = d.w % 4 === 0;
  const per = Math.min(itemsPerBinding(rt, inPlane, "max_pool2d"), itemsPerBinding(rt, outPlane, "max_pool2d"));
  for (const [p0, planes] of chunks(d.n * d.c, per)) {
    const bi = bindElems(bufs.input, p0 * inPlane, planes * inPlane);
    const bo = bindElems(bufs.output, p0 * outPlane, planes * outPlane);
    const bx = bufs.index ? bindElems(bufs.index, p0 * outPlane, planes * outPlane) : bindElems(rt.dummy, 0, 1);
    // Forward: one invocation per output pair (vec4 kernel) or output; backward: per output pair or input element.
    const lanes = fast ? (planes * outPlane) / 2 : pass === "forward" ? planes * outPlane : planes * inPlane;
    const p = new Params()
      .u32(d.h).u32(d.w).u32(oh).u32(ow).u32(planes)
      .u32(bi.base).u32(bo.base).u32(bx.base).u32(lanes).u32(bufs.index ? 1 : 0)
      .bytes();
    const spec: KernelSpec = {
      shader: "max_pool2d",
      entry: fast ? pass : `${pass}_any`,
      bindings: pass === "forward" ? ["read", "write", "write"] : ["read", "read", "write"],
    };
    // The WGSL order: forward x, y, index; backward dy, index, dx.
    const list = pass === "forward"
      ? [vec4Range(bi.binding), vec4Range(bo.binding), vec4Range(bx.binding)]
      : [vec4Range(bo.binding), vec4Range(bx.binding), vec4Range(bi.binding)];
    rt.dispatch(spec, p, list, grid1d(rt, lanes, WG));
  }
}

/** y = max over each 2×2 window of x; `index` (same shape as y, or null) receives the max's position 0..3. */
export function maxPool2dForward(
  rt: Runtime,
  x: GPUBuffer,
  y: GPUBuffer,
  index: GPUBuffer | null,
  d: MaxPool2dDims,
): void {
  check(d);
  run(rt, "forward", d, { input: x, output: y, index });
}

/** dx = dy routed to the saved position of each window; every other input element (dropped edges too) gets 0. */
export function maxPool2dBackward(rt: Runtime, dy: GPUBuffer, index: GPUBuffer, dx: GPUBuffer, d: MaxPool2dDims): void {
  check(d);
  run(rt, "backward", d, { input: dx, output: dy, index });
}
