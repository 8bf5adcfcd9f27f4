// 2-D convolution, stride 1: 3×3 with padding 1, and 1×1 (shaders/conv2d.wgsl). Buffers hold float32 NCHW
// tensors; weights are in PyTorch's layout [cout][cin][k][k] and re-laid out per call (they are small).
// The backward to the input is the same kernel run on dy with transposed, mirrored weights; the weight and bias
// gradients are in conv2d_backward_weight.ts.
import {
  bindPiece,
  checkDims,
  type Conv2dDims,
  convLimits,
  copyRows,
  type KernelWeights,
  padPlanes,
  planeElems,
  type PlaneLayout,
  planeLayout,
  planPieces,
  relayoutWeights,
} from "./conv2d_layout.ts";
import { Params } from "./params.ts";
import { bindElems, grid1d, maxElemsPerBinding } from "./ranges.ts";
import type { Access, KernelSpec, Runtime } from "./runtime.ts";

export type { Conv2dDims } from "./conv2d_layout.ts";
export { conv2dBackwardBias, conv2dBackwardWeight } from "./conv2d_backward_weight.ts";

const WG = 64;
/** Input channels per block in the kernels (CB and CB1 in the WGSL): a single input channel gets blocks of 1. */
function channelBlock(k: 1 | 3, cin: number): number {
  return k === 1 ? 16 : cin === 1 ? 1 : 4;
}
/** 1×1: vec4 steps per invocation (its weights are loaded once per step range). */
const SEG_1X1 = 32;

function spec(k: 1 | 3, cb: number): KernelSpec {
  const bindings: Access[] = ["read", "read", "read", "write"];
  return k === 3
    ? { shader: "conv2d", entry: "forward3x3", bindings, constants: { WG, CB: cb } }
    : { shader: "conv2d", entry: "forward1x1", bindings, constants: { WG } };
}

/** y = conv(x, w) + b. x: [n][cin][h][w], w: [cout][cin][k][k], b: [cout] or null, y: [n][cout][h][w]. */
export function conv2dForward(
  rt: Runtime,
  x: GPUBuffer,
  w: GPUBuffer,
  b: GPUBuffer | null,
  y: GPUBuffer,
  d: Conv2dDims,
): void {
  checkDims("conv2dForward", d);
  const kw = relayoutWeights(rt, w, d, false);
  convolve(rt, x, kw, b, y, d, d.cin, d.cout);
  rt.pool.release(kw.buffer);
}

/** dx = the gradient of Σ dy·conv(x, w) with respect to x: a convolution of dy with the mirrored, transposed w. */
export function conv2dBackwardInput(rt: Runtime, dy: GPUBuffer, w: GPUBuffer, dx: GPUBuffer, d: Conv2dDims): void {
  checkDims("conv2dBackwardInput", d);
  const kw = relayoutWeights(rt, w, d, true);
  convolve(rt, dy, kw, null, dx, d, d.cout, d.cin);
  rt.pool.release(kw.buffer);
}

/** Runs the forward kernel from `cin` to `cout` channels, padding rows first when the layout needs it. */
function convolve(
  rt: Runtime,
  x: GPUBuffer,
  kw: KernelWeights,
  b: GPUBuffer | null,
  y: GPUBuffer,
  d: Conv2dDims,
  cin: number,
  cout: number,
): void {
  const l = planeLayout(d.h, d.w, d.k);
  if (!l.padded) {
    convolvePlanes(rt, x, kw, b, y, d, l, cin, cout);
    return;
  }
  const xp = padPlanes(rt, x, d.n * cin, d.h, d.w, l);
  const yp = rt.pool.acquire(d.n * cout * planeElems(l) * 4);
  convolvePlanes(rt, xp, kw, b, yp, d, l, cin, cout);
  copyRows(rt, yp, y, d.n * cout * d.h, l.w4 * 4, d.w);
  rt.pool.release(xp);
  rt.pool.release(yp);
}

function convolvePlanes(
  rt: Runtime,
  x: GPUBuffer,
  kw: KernelWeights,
  b: GPUBuffer | null,
  y: GPUBuffer,
  d: Conv2dDims,
  l: PlaneLayout,
  cin: number,
  cout: number,
): void {
  const M = maxElemsPerBinding(rt);
  if (kw.blockElems > M) {
    throw new RangeError(`conv2d: the weights of 8 output channels (${kw.blockElems} floats) exceed the binding limit`);
  }
  const plane = planeElems(l);
  const plane4 = plane / 4;
  const coMax = Math.floor(M / kw.blockElems) * 8;
  const pieces = planPieces(rt, "conv2d", d.n, cin, cout, plane, coMax, 1);
  const bias = b ? bindElems(b, 0, cout) : bindElems(rt.dummy, 0, 1);
  for (const pc of pieces) {
    const blk0 = Math.floor(pc.co0 / 8);
    const nblk = Math.ceil((pc.co0 + pc.nco) / 8) - blk0;
    const bw = bindElems(kw.buffer, blk0 * kw.blockElems, nblk * kw.blockElems);
    const bx = bindPiece(x, pc.s0, pc.ns, pc.ci0, pc.nci, cin, plane);
    const by = bindPiece(y, pc.s0, pc.ns, pc.co0, pc.nco, cout, plane);
    // Steps per invocation: 3×3 marches whole rows unless blocks × steps would pass the loop budget.
    const cb = channelBlock(d.k, cin);
    const blocks = Math.ceil(pc.nci / cb);
    const seg = d.k === 3
      ? Math.max(1, Math.min(l.w4, Math.floor(convLimits.loopBudget / blocks) - 1))
      : Math.max(1, Math.min(SEG_1X1, plane4, Math.floor(convLimits.loopBudget / blocks) - 1));
    const nseg = Math.ceil((d.k === 3 ? l.w4 : plane4) / seg);
    const params = new Params()
      .u32(pc.ns).u32(l.rows).u32(l.w4).u32(pc.nci).u32(pc.ci0).u32(kw.cin).u32(nblk).u32(blk0)
      .u32(pc.co0).u32(pc.nco).u32(cout)
      .u32(bx.base / 4).u32((cin * plane) / 4).u32(by.base / 4).u32((cout * plane) / 4).u32(bw.base / 4)
      .u32(pc.ci0 > 0 ? 1 : 0).u32(b ? 1 : 0).u32(seg)
      .bytes();
    const invocations = pc.ns * (d.k === 3 ? l.rows : 1) * nseg * nblk;
    rt.dispatch(spec(d.k, cb), params, [bx.binding, bw.binding, bias.binding, by.binding], grid1d(rt, invocations, WG));
  }
}
