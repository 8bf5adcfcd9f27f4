// GroupNorm forward and backward (shaders/group_norm.wgsl for the per-group steps, shaders/norm_reduce.wgsl for the
// passes over the activations). Buffers are NCHW float32; per-plane coefficients are vec4 per (n, c).
import {
  gradPartials,
  mergePartials,
  momentPartials,
  normalizeBackwardPlanes,
  normalizePlanes,
  type Planes,
} from "./norm_reduce.ts";
import { Params } from "./params.ts";
import { grid1d } from "./ranges.ts";
import type { Access, KernelSpec, Runtime } from "./runtime.ts";

const WG = 64;

export interface GroupNormShape {
  n: number;
  c: number;
  groups: number;
  /** H·W. */
  plane: number;
}

export interface GroupNormForwardArgs {
  x: GPUBuffer;
  weight: GPUBuffer | null;
  bias: GPUBuffer | null;
  /** Out: N·C vec4 (mean, invstd·w, b, invstd), kept for the backward pass. */
  coef: GPUBuffer;
  y: GPUBuffer;
}

export interface GroupNormBackwardArgs {
  dy: GPUBuffer;
  x: GPUBuffer;
  /** The forward's coefficients. */
  coef: GPUBuffer;
  weight: GPUBuffer | null;
  /** Outputs; null where no gradient is wanted. dweight and dbias go together, only with a weight. */
  dx: GPUBuffer | null;
  dweight: GPUBuffer | null;
  dbias: GPUBuffer | null;
}

function spec(entry: string, bindings: Access[], affine: boolean): KernelSpec {
  return { shader: "group_norm", entry, bindings, constants: { WG, AFFINE: Number(affine) } };
}

function planesOf(s: GroupNormShape): Planes {
  return { count: s.n * s.c, size: s.plane };
}

function params(s: GroupNormShape, eps: number): ArrayBuffer {
  return new Params().u32(s.n).u32(s.c).u32(s.groups).f32((s.c / s.groups) * s.plane).f32(eps).bytes();
}

export function groupNormForward(rt: Runtime, s: GroupNormShape, a: GroupNormForwardArgs, eps: number): void {
  const planes = planesOf(s);
  // One merged (count, mean, M2) per slot, whose C/G planes are consecutive.
  const cg = s.c / s.groups;
  const stats = mergePartials(rt, momentPartials(rt, a.x, planes), "moments", {
    count: s.n * s.groups,
    planes: cg,
    segPlanes: cg,
    step: 1,
  });
  const affine = a.weight !== null && a.bias !== null;
  rt.dispatch(
    spec("group_stats", ["read", "read", "read", "write"], affine),
    params(s, eps),
    [stats, a.weight ?? rt.dummy, a.bias ?? rt.dummy, a.coef],
    grid1d(rt, s.n * s.groups, WG),
  );
  rt.pool.release(stats);
  normalizePlanes(rt, a.x, a.coef, a.y, planes);
}

export function groupNormBackward(rt: Runtime, s: GroupNormShape, a: GroupNormBackwardArgs, eps: number): void {
  const planes = planesOf(s);
  const affine = a.weight !== null;
  const paramGrads = a.dweight !== null;
  if (paramGrads !== (a.dbias !== null) || (paramGrads && !affine)) {
    throw new Error("group_norm backward: dweight and dbias are wanted together, and only with a weight");
  }
  if (!a.dx && !paramGrads) return;
  // Sums per plane: the parameter gradients need them per channel, dx per slot (C/G terms, weighted by w_c).
  const planeSums = mergePartials(rt, gradPartials(rt, a.dy, a.x, a.coef, planes), "sums", {
    count: planes.count,
    planes: 1,
    segPlanes: 1,
    step: 1,
  });
  const bcoef = rt.pool.acquire(planes.count * 16);
  // Per-plane sums for the parameter gradients; a scratch buffer when unused (bindings must not alias).
  const sums = rt.pool.acquire(affine ? planes.count * 8 : 4);
  rt.dispatch(
    spec("backward_coeffs", ["read", "read", "read", "write", "write"], affine),
    params(s, eps),
    [planeSums, a.coef, a.weight ?? rt.dummy, bcoef, sums],
    grid1d(rt, s.n * s.groups, WG),
  );
  rt.pool.release(planeSums);
  if (a.dweight && a.dbias) {
    rt.dispatch(
      spec("param_grads", ["read", "write", "write"], affine),
      params(s, eps),
      [sums, a.dweight, a.dbias],
      grid1d(rt, s.c, WG),
    );
  }
  rt.pool.release(sums);
  if (a.dx) normalizeBackwardPlanes(rt, a.dy, a.x, bcoef, a.dx, planes);
  rt.pool.release(bcoef);
}
