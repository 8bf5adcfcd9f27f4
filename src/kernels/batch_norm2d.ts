// BatchNorm2d forward and backward (shaders/batch_norm2d.wgsl for the per-channel steps, shaders/norm_reduce.wgsl
// for the passes over the activations). Buffers are NCHW float32; per-plane coefficients are vec4 per (n, c).
import {
  gradPartials,
  mergePartials,
  momentPartials,
  normalizeBackwardPlanes,
  normalizePlanes,
  type Partials,
  type PartialKind,
  type Planes,
} from "./norm_reduce.ts";
import { Params } from "./params.ts";
import { grid1d } from "./ranges.ts";
import type { Access, KernelSpec, Runtime } from "./runtime.ts";

const WG = 64;

export interface BatchNorm2dShape {
  n: number;
  c: number;
  /** H·W. */
  plane: number;
}

export interface BatchNorm2dForwardArgs {
  x: GPUBuffer;
  weight: GPUBuffer | null;
  bias: GPUBuffer | null;
  /** Updated in place in training mode. */
  runningMean: GPUBuffer;
  runningVar: GPUBuffer;
  /** Out: N·C vec4 (mean, invstd·w, b, invstd), kept for the backward pass. */
  coef: GPUBuffer;
  y: GPUBuffer;
}

export interface BatchNorm2dBackwardArgs {
  dy: GPUBuffer;
  x: GPUBuffer;
  /** The forward's coefficients. */
  coef: GPUBuffer;
  weight: GPUBuffer | null;
  /** Outputs; null where no gradient is wanted. dweight and dbias go together (both or neither, only with weight);
   * when they are null the kernel still writes into scratch buffers (its results there are unused). */
  dx: GPUBuffer | null;
  dweight: GPUBuffer | null;
  dbias: GPUBuffer | null;
}

export interface BatchNorm2dMode {
  training: boolean;
  momentum: number;
  eps: number;
}

function spec(entry: string, constants: Record<string, number>): KernelSpec {
  const bindings: Access[] = ["read", "read", "read", "write", "write", "write"];
  return { shader: "batch_norm2d", entry, bindings, constants: { WG, ...constants } };
}

function planesOf(s: BatchNorm2dShape): Planes {
  return { count: s.n * s.c, size: s.plane };
}

function params(s: BatchNorm2dShape, mode: BatchNorm2dMode): ArrayBuffer {
  return new Params().u32(s.n).u32(s.c).f32(s.n * s.plane).f32(mode.momentum).f32(mode.eps).bytes();
}

/** One merged vec4 per channel: channel c's planes are c, c + C, … (released by the caller). */
function perChannel(rt: Runtime, s: BatchNorm2dShape, part: Partials, kind: PartialKind): GPUBuffer {
  return mergePartials(rt, part, kind, { count: s.c, planes: s.n, segPlanes: 1, step: s.c });
}

/** y = BN(x); training mode normalises with the batch statistics and updates the running ones in place. */
export function batchNorm2dForward(rt: Runtime, s: BatchNorm2dShape, a: BatchNorm2dForwardArgs, mode: BatchNorm2dMode): void {
  if (mode.training && s.n * s.plane < 2) {
    throw new RangeError(`batch_norm2d: training needs more than 1 value per channel (got [${s.n}, ${s.c}, ${s.plane}])`);
  }
  const planes = planesOf(s);
  const stats = mode.training ? perChannel(rt, s, momentPartials(rt, a.x, planes), "moments") : null;
  const affine = a.weight !== null && a.bias !== null;
  rt.dispatch(
    spec("channel_stats", { AFFINE: Number(affine), TRAINING: Number(mode.training) }),
    params(s, mode),
    [stats ?? rt.dummy, a.weight ?? rt.dummy, a.bias ?? rt.dummy, a.runningMean, a.runningVar, a.coef],
    grid1d(rt, s.c, WG),
  );
  if (stats) rt.pool.release(stats);
  normalizePlanes(rt, a.x, a.coef, a.y, planes);
}

/** Gradients of BN; the running statistics get none. */
export function batchNorm2dBackward(rt: Runtime, s: BatchNorm2dShape, a: BatchNorm2dBackwardArgs, mode: BatchNorm2dMode): void {
  const planes = planesOf(s);
  const affine = a.weight !== null;
  const paramGrads = a.dweight !== null;
  if (paramGrads !== (a.dbias !== null) || (paramGrads && !affine)) {
    throw new Error("batch_norm2d backward: dweight and dbias are wanted together, and only with a weight");
  }
  const sums = (mode.training && a.dx !== null) || paramGrads;
  if (!sums && !a.dx) return;
  const merged = sums ? perChannel(rt, s, gradPartials(rt, a.dy, a.x, a.coef, planes), "sums") : null;
  const bcoef = rt.pool.acquire(planes.count * 16);
  // Unwanted outputs still need their own buffers: WebGPU forbids two writable bindings of one buffer.
  const scratch = paramGrads ? [] : [rt.pool.acquire(4), rt.pool.acquire(4)];
  rt.dispatch(
    spec("backward_coeffs", { AFFINE: Number(affine), TRAINING: Number(mode.training), SUMS: Number(sums) }),
    params(s, mode),
    [merged ?? rt.dummy, a.coef, a.weight ?? rt.dummy, bcoef, a.dweight ?? scratch[0], a.dbias ?? scratch[1]],
    grid1d(rt, s.c, WG),
  );
  if (merged) rt.pool.release(merged);
  for (const b of scratch) rt.pool.release(b);
  if (a.dx) normalizeBackwardPlanes(rt, a.dy, a.x, bcoef, a.dx, planes);
  rt.pool.release(bcoef);
}
