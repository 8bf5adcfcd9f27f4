// The Adam update (shaders/adam.wgsl) of one parameter tensor, in chunks that fit one binding.
import { Params } from "./params.ts";
import { bindElems, chunks, grid1d, maxElemsPerBinding } from "./ranges.ts";
import type { KernelSpec, Runtime } from "./runtime.ts";

const WG = 256;
const spec: KernelSpec = {
  shader: "adam",
  entry: "step",
  bindings: ["write", "read", "write", "write", "read"],
  constants: { WG },
};

export interface AdamHyper {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

export interface AdamBuffers {
  param: GPUBuffer;
  grad: GPUBuffer;
  m: GPUBuffer;
  v: GPUBuffer;
  count: number;
}

/**
 * Updates param, m and v in place. `hyper` holds [step_size, sqrt(1 − β2^t)] per parameter (computed in float64 on
 * the CPU, as PyTorch does in Python); `slot` picks this parameter's pair.
 */
export function adamStep(rt: Runtime, b: AdamBuffers, h: AdamHyper, hyper: GPUBuffer, slot: number): void {
  for (const [start, n] of chunks(b.count, maxElemsPerBinding(rt))) {
    const parts = [b.param, b.grad, b.m, b.v].map((buf) => bindElems(buf, start, n));
    const params = new Params().u32(n);
    for (const part of parts) params.u32(part.base);
    params.u32(slot).f32(h.beta1).f32(1 - h.beta1).f32(h.beta2).f32(1 - h.beta2).f32(h.eps).f32(h.weightDecay);
    const bound = [...parts.map((part) => part.binding), hyper];
    rt.dispatch(spec, params.bytes(), bound, grid1d(rt, n, WG));
  }
}
