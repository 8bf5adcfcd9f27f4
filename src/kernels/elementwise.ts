// Flat elementwise kernels (shaders/elementwise.wgsl), split into chunks that each fit in one binding.
import { Params } from "./params.ts";
import { bindElems, chunks, grid1d, maxElemsPerBinding } from "./ranges.ts";
import type { KernelSpec, Runtime } from "./runtime.ts";

const WG = 256;
const spec = (entry: string): KernelSpec => ({ shader: "elementwise", entry, bindings: ["read", "read", "write"] });

export type BinaryOp = "add" | "mul" | "relu_backward" | "sigmoid_backward";
export type UnaryOp = "relu" | "sigmoid" | "scale" | "add_inplace" | "fill";

/** y = a op b over `count` elements (same shapes). */
export function binary(rt: Runtime, op: BinaryOp, a: GPUBuffer, b: GPUBuffer, y: GPUBuffer, count: number): void {
  run(rt, op, a, b, y, count, 0);
}

/** y = op(a) (relu, sigmoid, scale by `scalar`), y += a (add_inplace) or y = scalar (fill; `a` unused). */
export function unary(rt: Runtime, op: UnaryOp, a: GPUBuffer, y: GPUBuffer, count: number, scalar = 0): void {
  // The second operand is unused: bind the dummy so `y` is never aliased by a read-only binding.
  run(rt, op, op === "fill" ? rt.dummy : a, rt.dummy, y, count, scalar);
}

function run(rt: Runtime, op: string, a: GPUBuffer, b: GPUBuffer, y: GPUBuffer, count: number, scalar: number): void {
  for (const [start, n] of chunks(count, maxElemsPerBinding(rt))) {
    const ba = a === rt.dummy ? bindElems(a, 0, 1) : bindElems(a, start, n);
    const bb = b === rt.dummy ? bindElems(b, 0, 1) : bindElems(b, start, n);
    const by = bindElems(y, start, n);
    const params = new Params().u32(n).u32(ba.base).u32(bb.base).u32(by.base).f32(scalar).bytes();
    rt.dispatch(spec(op), params, [ba.binding, bb.binding, by.binding], grid1d(rt, n, WG));
  }
}
