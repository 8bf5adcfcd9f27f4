// Whole-tensor sums (shaders/reduce.wgsl): each pass turns n values into ceil(n / FACTOR) partial sums, repeated
// until one value is left. A pass over a tensor larger than one binding runs chunk by chunk.
import { Params } from "./params.ts";
import { bindElems, chunks, grid1d, maxElemsPerBinding } from "./ranges.ts";
import type { KernelSpec, Runtime } from "./runtime.ts";

const WG = 256;
/** Values per partial sum: 16 and 32 measured alike on llvmpipe; 16 keeps the tree's error lower. */
const FACTOR = 16;
const constants = { WG, FACTOR };
const sumSpec: KernelSpec = { shader: "reduce", entry: "sum", bindings: ["read", "write"], constants };
const broadcastSpec: KernelSpec = { shader: "reduce", entry: "broadcast", bindings: ["read", "write"], constants };

/** out[outIndex] = (Σ x[0 .. count)) / divisor, summed in float32 as a tree. No readback. */
export function reduceSum(
  rt: Runtime,
  x: GPUBuffer,
  count: number,
  out: GPUBuffer,
  outIndex: number,
  divisor = 1,
): void {
  if (count === 0) {
    rt.clear(out, outIndex * 4, 4);
    return;
  }
  // Chunk lengths are multiples of FACTOR, so the partials of consecutive chunks land next to each other.
  const perChunk = Math.floor(maxElemsPerBinding(rt) / FACTOR) * FACTOR;
  let src = x;
  let n = count;
  let temp: GPUBuffer | null = null;
  while (n > FACTOR) {
    const partials = rt.pool.acquire(Math.ceil(n / FACTOR) * 4);
    for (const [start, len] of chunks(n, perChunk)) pass(rt, src, start, len, partials, start / FACTOR, 1);
    // Recycling right away is safe: any later use of a pooled buffer is queued after this pass.
    if (temp) rt.pool.release(temp);
    temp = src = partials;
    n = Math.ceil(n / FACTOR);
  }
  pass(rt, src, 0, n, out, outIndex, divisor);
  if (temp) rt.pool.release(temp);
}

/** One pass: y[yStart + j] = Σ_k x[start + j + k·t] / divisor for the t = ceil(len / FACTOR) partials. */
function pass(rt: Runtime, x: GPUBuffer, start: number, len: number, y: GPUBuffer, yStart: number, divisor: number) {
  const t = Math.ceil(len / FACTOR);
  const bx = bindElems(x, start, len);
  const by = bindElems(y, yStart, t);
  const params = new Params().u32(len).u32(bx.base).u32(by.base).f32(divisor).bytes();
  rt.dispatch(sumSpec, params, [bx.binding, by.binding], grid1d(rt, t, WG));
}

/** y[0 .. count) = g[gIndex] / divisor: the backward of a sum (divisor 1) or of a mean (divisor n). */
export function broadcastScalar(
  rt: Runtime,
  g: GPUBuffer,
  gIndex: number,
  y: GPUBuffer,
  count: number,
  divisor = 1,
): void {
  const bg = bindElems(g, gIndex, 1);
  for (const [start, n] of chunks(count, maxElemsPerBinding(rt))) {
    const by = bindElems(y, start, n);
    const params = new Params().u32(n).u32(bg.base).u32(by.base).f32(divisor).bytes();
    rt.dispatch(broadcastSpec, params, [bg.binding, by.binding], grid1d(rt, n, WG));
  }
}
