// Attention-gate product (shaders/gate.wgsl) on N×C×H×W tensors with a N×1×H×W gate, split so that every
// binding holds whole H·W planes and stays under the binding limit.
import { Params } from "./params.ts";
import { bindElems, chunks, grid1d, itemsPerBinding } from "./ranges.ts";
import type { KernelSpec, Runtime } from "./runtime.ts";

const WG = 256;
const spec = (entry: string): KernelSpec => ({
  shader: "gate",
  entry,
  bindings: ["read", "read", "write"],
  constants: { WG },
});

export interface GateShape {
  n: number;
  c: number;
  /** H·W. */
  plane: number;
}

/** y = a·psi (broadcast over channels): the forward with a = x, or the x gradient with a = dy. */
export function gateForward(rt: Runtime, a: GPUBuffer, psi: GPUBuffer, y: GPUBuffer, s: GateShape): void {
  // A block of planes of a/y needs at most as many psi planes (one per batch item it touches), so one limit fits all.
  const perDispatch = Math.min(itemsPerBinding(rt, s.plane, "gate"), rt.maxWorkgroupsPerDim);
  for (const [q0, k] of chunks(s.n * s.c, perDispatch)) {
    const n0 = Math.floor(q0 / s.c);
    const n1 = Math.floor((q0 + k - 1) / s.c);
    const ba = bindElems(a, q0 * s.plane, k * s.plane);
    const bpsi = bindElems(psi, n0 * s.plane, (n1 - n0 + 1) * s.plane);
    const by = bindElems(y, q0 * s.plane, k * s.plane);
    const params = new Params().u32(s.plane).u32(s.c).u32(q0).u32(n0).u32(0)
      .u32(ba.base).u32(bpsi.base).u32(by.base).u32(0).bytes();
    rt.dispatch(spec(entry("forward", s)), params, [ba.binding, bpsi.binding, by.binding], grid(rt, s, k));
  }
}

/** Channels summed per dpsi dispatch: 8 measured fastest on llvmpipe (2 × 8 read streams; 32 ran 2.3× slower). */
const PSI_CHANNEL_BLOCK = 8;

/** dpsi[n,0,h,w] = Σ_c dy·x, in channel blocks accumulated in turn; each dispatch takes as many items as fit. */
export function gateBackwardPsi(rt: Runtime, dy: GPUBuffer, x: GPUBuffer, dpsi: GPUBuffer, s: GateShape): void {
  const planesPer = itemsPerBinding(rt, s.plane, "gate backward");
  for (const [c0, cb] of chunks(s.c, Math.min(PSI_CHANNEL_BLOCK, planesPer))) {
    // k items span (k − 1)·C + cb planes of dy and x.
    const itemsPer = Math.min(Math.floor((planesPer - cb) / s.c) + 1, rt.maxWorkgroupsPerDim);
    for (const [n0, k] of chunks(s.n, itemsPer)) {
      const start = (n0 * s.c + c0) * s.plane;
      const len = ((k - 1) * s.c + cb) * s.plane;
      const bdy = bindElems(dy, start, len);
      const bx = bindElems(x, start, len);
      const bpsi = bindElems(dpsi, n0 * s.plane, k * s.plane);
      const params = new Params().u32(s.plane).u32(cb).u32(0).u32(0).u32(s.c)
        .u32(bdy.base).u32(bx.base).u32(bpsi.base).u32(c0 > 0 ? 1 : 0).bytes();
      rt.dispatch(spec(entry("backward_psi", s)), params, [bdy.binding, bx.binding, bpsi.binding], grid(rt, s, k));
    }
  }
}

/** The vec4 entry point when planes are whole vec4s (every binding base is then a multiple of 4 as well). */
function entry(name: string, s: GateShape): string {
  return s.plane % 4 === 0 ? `${name}4` : name;
}

function grid(rt: Runtime, s: GateShape, planes: number): [number, number, number] {
  const perPlane = s.plane % 4 === 0 ? s.plane / 4 : s.plane;
  return [...grid1d(rt, perPlane, WG), planes];
}
