// Binary cross-entropy on probabilities (shaders/bce_loss.wgsl), reduced to a mean by the tree sum of reduce.ts.
import { Params } from "./params.ts";
import { bindElems, chunks, grid1d, maxElemsPerBinding } from "./ranges.ts";
import { reduceSum } from "./reduce.ts";
import type { Access, Binding, KernelSpec, Runtime } from "./runtime.ts";

const WG = 256;

export interface BceInputs {
  p: GPUBuffer;
  target: GPUBuffer;
  /** Per-element weight, or null for 1. */
  weight: GPUBuffer | null;
  /** Per-element ignore mask (1 = leave the pixel out of the mean), or null. */
  ignore: GPUBuffer | null;
  count: number;
}

/** Floats in the `stats` buffer the forward fills and the backward reads: [Σ keep·w·l, Σ ignore, kept count]. */
export const BCE_STATS = 3;

function spec(entry: string, b: BceInputs, bindings: Access[]): KernelSpec {
  return {
    shader: "bce_loss",
    entry,
    bindings,
    constants: { WG, HAS_WEIGHT: b.weight ? 1 : 0, HAS_IGNORE: b.ignore ? 1 : 0 },
  };
}

/** loss[0] = mean over kept elements of w·l; `stats` (BCE_STATS floats) keeps what the backward needs. */
export function bceForward(rt: Runtime, b: BceInputs, loss: GPUBuffer, stats: GPUBuffer): void {
  const perElement = rt.pool.acquire(b.count * 4);
  const k = spec("loss", b, ["read", "read", "read", "read", "write"]);
  forEachChunk(rt, b, perElement, (bound, params, n) => rt.dispatch(k, params, bound, grid1d(rt, n, WG)));
  reduceSum(rt, perElement, b.count, stats, 0);
  // Recycling right away is safe: any later use of the pooled buffer is queued after the sum.
  rt.pool.release(perElement);
  if (b.ignore) reduceSum(rt, b.ignore, b.count, stats, 1);
  const params = new Params().u32(0).u32(0).u32(0).u32(0).u32(0).u32(0).f32(b.count).bytes();
  rt.dispatch(spec("finish", b, ["write", "write"]), params, [stats, loss], [1]);
}

/** dp = dL/dp for the upstream gradient g[0] (PyTorch's clamped formula, see the WGSL). */
export function bceBackward(rt: Runtime, b: BceInputs, g: GPUBuffer, stats: GPUBuffer, dp: GPUBuffer): void {
  const k = spec("backward", b, ["read", "read", "read", "read", "write", "read", "read"]);
  const scalars = [bindElems(g, 0, 1).binding, bindElems(stats, 0, BCE_STATS).binding];
  forEachChunk(rt, b, dp, (bound, params, n) => rt.dispatch(k, params, [...bound, ...scalars], grid1d(rt, n, WG)));
}

/** Calls `f` per chunk that fits one binding, with p, target, weight, ignore and y bound and the params block. */
function forEachChunk(
  rt: Runtime,
  b: BceInputs,
  y: GPUBuffer,
  f: (bound: Binding[], params: ArrayBuffer, n: number) => void,
): void {
  for (const [start, n] of chunks(b.count, maxElemsPerBinding(rt))) {
    const parts = [b.p, b.target, b.weight, b.ignore, y].map((buf) =>
      bindElems(buf ?? rt.dummy, buf ? start : 0, buf ? n : 1)
    );
    const params = new Params().u32(n);
    for (const part of parts) params.u32(part.base);
    f(parts.map((part) => part.binding), params.f32(b.count).bytes(), n);
  }
}
