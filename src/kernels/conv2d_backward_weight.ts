// Convolution gradients with respect to the weights and the bias (shaders/conv2d_backward_weight.wgsl writes
// partial sums over row ranges, shaders/conv2d_reduce.wgsl adds them up). Both are reductions over N·H·W: the
// work is split into row ranges ("slots") for parallelism and into binding-sized pieces; the slots fill a
// scratch buffer that is reduced (and, when it overflows, reduced again with accumulation).
import {
  bindPiece,
  checkDims,
  type Conv2dDims,
  convLimits,
  padPlanes,
  type Piece,
  planeElems,
  type PlaneLayout,
  planeLayout,
  planPieces,
} from "./conv2d_layout.ts";
import { Params } from "./params.ts";
import { bindElems, grid1d, maxElemsPerBinding } from "./ranges.ts";
import type { Access, KernelSpec, Runtime } from "./runtime.ts";

const WG = 64;
/** Input channels per invocation in the kernels (CI and CI1 in the WGSL): a single input channel gets 1. */
function channelBlock(k: 1 | 3, cin: number): number {
  return k === 1 ? 16 : cin === 1 ? 1 : 4;
}
/** Cap on the scratch: 64 slots of weight-gradient partial sums, 4096 of the bias's (cout vec4s each). */
const MAX_SLOTS = 64;
const MAX_BIAS_SLOTS = 4096;

function wgradSpec(k: 1 | 3, ci: number): KernelSpec {
  const bindings: Access[] = ["read", "read", "write"];
  return k === 3
    ? { shader: "conv2d_backward_weight", entry: "weight_grad3x3", bindings, constants: { WG, CI: ci } }
    : { shader: "conv2d_backward_weight", entry: "weight_grad1x1", bindings, constants: { WG } };
}
const biasSpec: KernelSpec = {
  shader: "conv2d_backward_weight",
  entry: "bias_grad",
  bindings: ["read", "read", "write"],
  constants: { WG },
};
const reduceSpec = (entry: string): KernelSpec => ({
  shader: "conv2d_reduce",
  entry,
  bindings: ["read", "write"],
  constants: { WG: 256 },
});

/** dw = Σ over n, y, x of dy·x (PyTorch layout [cout][cin][k][k]); x: [n][cin][h][w], dy: [n][cout][h][w]. */
export function conv2dBackwardWeight(rt: Runtime, x: GPUBuffer, dy: GPUBuffer, dw: GPUBuffer, d: Conv2dDims): void {
  checkDims("conv2dBackwardWeight", d);
  const l = planeLayout(d.h, d.w, d.k);
  const xb = l.padded ? padPlanes(rt, x, d.n * d.cin, d.h, d.w, l) : x;
  const dyb = l.padded ? padPlanes(rt, dy, d.n * d.cout, d.h, d.w, l) : dy;
  weightGrad(rt, xb, dyb, dw, d, l);
  if (l.padded) {
    rt.pool.release(xb);
    rt.pool.release(dyb);
  }
}

function weightGrad(rt: Runtime, x: GPUBuffer, dy: GPUBuffer, dw: GPUBuffer, d: Conv2dDims, l: PlaneLayout): void {
  const M = maxElemsPerBinding(rt);
  const taps = d.k * d.k;
  const coPad = Math.ceil(d.cout / 8) * 8;
  const slotLen = d.cin * taps * coPad;
  const outLen = d.cout * d.cin * taps;
  if (slotLen > M || outLen > M) {
    throw new RangeError(`conv2dBackwardWeight: ${d.cout}×${d.cin}×${d.k}×${d.k} weights exceed the binding limit`);
  }
  const plane = planeElems(l);
  const plane4 = plane / 4;
  // Rows of the march: image rows for 3×3, vec4 steps of the flattened plane for 1×1.
  const rowsPerSample = d.k === 3 ? l.rows : plane4;
  const loopsPerRow = d.k === 3 ? l.w4 + 1 : 1;
  const budgetRows = Math.floor(convLimits.loopBudget / loopsPerRow);
  if (budgetRows < 1) throw new RangeError(`conv2dBackwardWeight: rows of ${d.w} pixels are too long`);
  const ci = channelBlock(d.k, d.cin);
  const tiles = Math.ceil(d.cin / ci) * Math.ceil(d.cout / 8);
  const maxSlots = Math.min(MAX_SLOTS, Math.floor(M / slotLen));
  const groups = bySamples(planPieces(rt, "conv2dBackwardWeight", d.n, d.cin, d.cout, plane, Infinity, 4)).map((g) => {
    const rows = g[0].ns * rowsPerSample;
    const perSplit = Math.max(
      1,
      Math.min(Math.ceil(rows / Math.ceil(convLimits.targetInvocations / tiles)), budgetRows),
    );
    return { pieces: g, rows, perSplit, splits: Math.ceil(rows / perSplit) };
  });
  const part = rt.pool.acquire(Math.min(maxSlots, groups.reduce((a, g) => a + g.splits, 0)) * slotLen * 4);
  let used = 0;
  let reduced = false;
  const flush = () => {
    reduce(rt, "weight_grad_reduce", part, used, slotLen, dw, outLen, d.cin, taps, coPad, reduced);
    reduced = true;
    used = 0;
  };
  for (const g of groups) {
    // Row ranges of this sample range, as many per pass as there are free slots.
    for (let done = 0; done < g.splits;) {
      if (used === maxSlots) flush();
      const nsplit = Math.min(g.splits - done, maxSlots - used);
      const row0 = done * g.perSplit;
      const rows = Math.min(nsplit * g.perSplit, g.rows - row0);
      const bp = bindElems(part, used * slotLen, nsplit * slotLen);
      for (const pc of g.pieces) {
        const bx = bindPiece(x, pc.s0, pc.ns, pc.ci0, pc.nci, d.cin, plane);
        const bd = bindPiece(dy, pc.s0, pc.ns, pc.co0, pc.nco, d.cout, plane);
        const nciBlk = Math.ceil(pc.nci / ci);
        const ncoBlk = Math.ceil(pc.nco / 8);
        const params = new Params()
          .u32(row0).u32(rows).u32(l.rows).u32(d.k === 3 ? l.w4 : plane4)
          .u32(pc.nci).u32(pc.ci0).u32(pc.nco).u32(pc.co0)
          .u32(bx.base / 4).u32((d.cin * plane) / 4).u32(bd.base / 4).u32((d.cout * plane) / 4)
          .u32(nciBlk).u32(ncoBlk).u32(nsplit).u32(bp.base / 4).u32(slotLen / 4).u32(coPad)
          .bytes();
        const inv = nciBlk * ncoBlk * nsplit;
        rt.dispatch(wgradSpec(d.k, ci), params, [bx.binding, bd.binding, bp.binding], grid1d(rt, inv, WG));
      }
      used += nsplit;
      done += nsplit;
    }
  }
  flush();
  rt.pool.release(part);
}

/** db = Σ over n, y, x of dy. dy: [n][cout][h][w], db: [cout]. */
export function conv2dBackwardBias(rt: Runtime, dy: GPUBuffer, db: GPUBuffer, d: Conv2dDims): void {
  checkDims("conv2dBackwardBias", d);
  // The bias kernel sums whole planes: only the plane as a whole has to be made of vec4s.
  const l = planeLayout(d.h, d.w, 1);
  const dyb = l.padded ? padPlanes(rt, dy, d.n * d.cout, d.h, d.w, l) : dy;
  const M = maxElemsPerBinding(rt);
  const plane = planeElems(l);
  const plane4 = plane / 4;
  // A segment of a plane per invocation: its loop takes two vec4s per iteration.
  const nseg = Math.ceil(plane4 / (2 * convLimits.loopBudget));
  const slotLen = d.cout * 4;
  const maxSlots = Math.min(MAX_BIAS_SLOTS, Math.floor(M / slotLen));
  if (nseg > maxSlots) throw new RangeError(`conv2dBackwardBias: planes of ${plane} floats are too large`);
  const part = rt.pool.acquire(Math.min(maxSlots, d.n * nseg) * slotLen * 4);
  let used = 0;
  let reduced = false;
  const flush = () => {
    reduce(rt, "bias_grad_reduce", part, used, slotLen, db, d.cout, 1, 1, d.cout, reduced);
    reduced = true;
    used = 0;
  };
  for (const group of bySamples(planPieces(rt, "conv2dBackwardBias", d.n, 1, d.cout, plane, Infinity, 1))) {
    const { s0, ns } = group[0];
    for (let done = 0; done < ns;) {
      if (used + nseg > maxSlots) flush();
      const k = Math.min(ns - done, Math.floor((maxSlots - used) / nseg));
      const bp = bindElems(part, used * slotLen, k * nseg * slotLen);
      for (const pc of group) {
        const bd = bindPiece(dyb, s0 + done, k, pc.co0, pc.nco, d.cout, plane);
        const params = new Params()
          .u32(0).u32(k).u32(1).u32(plane4).u32(0).u32(0).u32(pc.nco).u32(pc.co0)
          .u32(0).u32(0).u32(bd.base / 4).u32((d.cout * plane) / 4)
          .u32(0).u32(0).u32(nseg).u32(bp.base / 4).u32(0).u32(d.cout)
          .bytes();
        const inv = k * nseg * pc.nco;
        rt.dispatch(biasSpec, params, [bindElems(rt.dummy, 0, 1).binding, bd.binding, bp.binding], grid1d(rt, inv, WG));
      }
      used += k * nseg;
      done += k;
    }
  }
  flush();
  rt.pool.release(part);
  if (l.padded) rt.pool.release(dyb);
}

/** Pieces grouped by their sample range (planPieces emits each range's pieces consecutively). */
function bySamples(pieces: Piece[]): Piece[][] {
  const groups: Piece[][] = [];
  for (const pc of pieces) {
    const last = groups.at(-1);
    if (last && last[0].s0 === pc.s0) last.push(pc);
    else groups.push([pc]);
  }
  return groups;
}

/** dst[0 .. count) (=|+=) the sum of `slots` slots of partial sums. */
function reduce(
  rt: Runtime,
  entry: string,
  part: GPUBuffer,
  slots: number,
  slotLen: number,
  dst: GPUBuffer,
  count: number,
  cin: number,
  taps: number,
  coPad: number,
  accumulate: boolean,
): void {
  const bp = bindElems(part, 0, slots * slotLen);
  const bd = bindElems(dst, 0, count);
  const params = new Params()
    .u32(count).u32(slots).u32(slotLen).u32(cin).u32(taps).u32(coPad).u32(bp.base).u32(bd.base).u32(accumulate ? 1 : 0)
    .bytes();
  rt.dispatch(reduceSpec(entry), params, [bp.binding, bd.binding], grid1d(rt, count, 256));
}
