// Dispatch of the plane-wise passes of shaders/norm_reduce.wgsl (shared by BatchNorm2d and GroupNorm), split over
// chunks of whole planes so that no binding exceeds the adapter's limit, and of the tree that merges their partials.
import { Params } from "./params.ts";
import { bindElems, type BoundElems, chunks, grid1d, itemsPerBinding } from "./ranges.ts";
import type { Access, KernelSpec, Runtime } from "./runtime.ts";

/** Invocations per workgroup of the reductions: 64 measured as fast as 128 or 256 on llvmpipe and leaves fewer
 * idle invocations on small planes. */
const REDUCE_WG = 64;
/** Elements (or vec4s) one reduction invocation sums: partials cost 16 bytes per ITEMS·4 (or ·16) bytes read. */
const ITEMS = 32;
/** Must match LANES in the WGSL. */
const LANES = 8;
const APPLY_WG = 256;
/** Partials one merge invocation combines: every float32 sum stays ≤ 32 terms long (and far below llvmpipe's 65 535
 * loop iterations per invocation), and each tree level is a dispatch of many invocations. */
const FAN = 32;
const MERGE_WG = 64;

/** `count` planes of `size` floats each, back to back (NCHW: count = N·C, size = H·W). */
export interface Planes {
  count: number;
  size: number;
}

/** Partial results of a reduction: `perPlane` vec4s for each plane, plane-major, in a pooled buffer. */
export interface Partials {
  buffer: GPUBuffer;
  perPlane: number;
}

/** Planes whose size is a multiple of 4 are read as vec4s (chunk starts are then 16-byte aligned too). */
function lanesOf(planes: Planes): number {
  return planes.size % 4 === 0 ? 4 : 1;
}

function spec(entry: string, planes: Planes, bindings: Access[], wg: number): KernelSpec {
  const name = lanesOf(planes) === 4 ? `${entry}_vec4` : entry;
  return { shader: "norm_reduce", entry: name, bindings, constants: { WG: wg, ITEMS } };
}

/** Partials written per plane by the `moments` / `grad_sums` passes. */
function partialsPerPlane(planes: Planes): number {
  const units = planes.size / lanesOf(planes);
  const invocations = Math.ceil(units / (LANES * ITEMS)) * LANES;
  return Math.max(1, Math.ceil(invocations / REDUCE_WG)) * REDUCE_WG;
}

/** Consecutive planes per dispatch: each bound range (planes or their partials) fits in one binding. */
function planeChunks(rt: Runtime, planes: Planes, what: string): [number, number][] {
  const perBinding = Math.min(
    itemsPerBinding(rt, planes.size, what),
    itemsPerBinding(rt, partialsPerPlane(planes) * 4, `${what} partials`),
    rt.maxWorkgroupsPerDim,
  );
  return chunks(planes.count, perBinding);
}

/** Binds whole planes [p0, p0 + np) of a plane-major buffer of `perPlane` floats per plane. */
function bindPlanes(buffer: GPUBuffer, p0: number, np: number, perPlane: number): BoundElems {
  return bindElems(buffer, p0 * perPlane, np * perPlane);
}

/** What a merge combines: (count, mean, M2) moments or plain sums. */
export type PartialKind = "moments" | "sums";

/** Partial (count, mean, M2) of the planes of `x`; the caller releases `buffer` (or merges it with mergePartials). */
export function momentPartials(rt: Runtime, x: GPUBuffer, planes: Planes): Partials {
  const k = lanesOf(planes);
  return reducePlanes(rt, planes, "moments", "norm moments", (p0, np, bo) => {
    const bx = bindPlanes(x, p0, np, planes.size);
    const params = new Params().u32(planes.size / k).u32(partialsPerPlane(planes)).u32(bx.base / k).u32(0).u32(0)
      .u32(bo.base / 4);
    rt.dispatch(spec("moments", planes, ["read", "write"], REDUCE_WG), params.bytes(), [bx.binding, bo.binding], [
      partialsPerPlane(planes) / REDUCE_WG,
      np,
    ]);
  });
}

/** Partial (Σdy, Σdy·(x − mean), 0, 0) per plane, the mean taken from coef[plane].x. */
export function gradPartials(rt: Runtime, dy: GPUBuffer, x: GPUBuffer, coef: GPUBuffer, planes: Planes): Partials {
  const k = lanesOf(planes);
  return reducePlanes(rt, planes, "sums", "norm gradient sums", (p0, np, bo) => {
    const bdy = bindPlanes(dy, p0, np, planes.size);
    const bx = bindPlanes(x, p0, np, planes.size);
    const bc = bindPlanes(coef, p0, np, 4);
    const params = new Params().u32(planes.size / k).u32(partialsPerPlane(planes)).u32(bx.base / k)
      .u32(bdy.base / k).u32(bc.base / 4).u32(bo.base / 4);
    rt.dispatch(
      spec("grad_sums", planes, ["read", "read", "read", "write"], REDUCE_WG),
      params.bytes(),
      [bdy.binding, bx.binding, bc.binding, bo.binding],
      [partialsPerPlane(planes) / REDUCE_WG, np],
    );
  });
}

/**
 * Runs a plane pass chunk by chunk (`pass` writes the chunk's partials into `bo`) and merges each chunk's partials
 * once, FAN to one, so that the returned partials (1/FAN as many) fit one binding for the rest of the tree.
 */
function reducePlanes(
  rt: Runtime,
  planes: Planes,
  kind: PartialKind,
  what: string,
  pass: (p0: number, np: number, bo: BoundElems) => void,
): Partials {
  const raw = partialsPerPlane(planes);
  const perPlane = Math.ceil(raw / FAN);
  const scratch = rt.pool.acquire(planes.count * raw * 16);
  const buffer = rt.pool.acquire(planes.count * perPlane * 16);
  for (const [p0, np] of planeChunks(rt, planes, what)) {
    const bi = bindPlanes(scratch, p0, np, raw * 4);
    const bo = bindPlanes(buffer, p0, np, perPlane * 4);
    pass(p0, np, bi);
    mergeLevel(rt, kind, bi, bo, { count: np, len: raw, segStride: raw, run: raw, runStride: 0 });
  }
  rt.pool.release(scratch);
  return { buffer, perPlane };
}

/** Segments of a merge tree: item i of segment s is at s·segStride + ⌊i / run⌋·runStride + (i mod run). */
interface Segments {
  count: number;
  len: number;
  segStride: number;
  run: number;
  runStride: number;
}

/** Segment s of a merge: planes s·segPlanes + k·step for k < planes (a BatchNorm channel c: planes c + n·C). */
export interface PlaneSets {
  count: number;
  planes: number;
  segPlanes: number;
  step: number;
}

/**
 * Merges the partials of each plane set into one vec4, in a tree of FAN-to-one levels: no float32 sum is longer than
 * FAN terms, and each level is one dispatch over all sets. Releases `part.buffer`; the caller releases the result
 * (`sets.count` vec4s).
 */
export function mergePartials(rt: Runtime, part: Partials, kind: PartialKind, sets: PlaneSets): GPUBuffer {
  const pp = part.perPlane;
  const contiguous = sets.step === 1 || sets.planes === 1;
  let seg: Segments = {
    count: sets.count,
    len: sets.planes * pp,
    segStride: sets.segPlanes * pp,
    run: contiguous ? sets.planes * pp : pp,
    runStride: contiguous ? 0 : sets.step * pp,
  };
  let buffer = part.buffer;
  // A last level also runs when one item is left but not yet one vec4 per set, in order.
  while (seg.len > 1 || seg.segStride !== 1) {
    const outLen = Math.ceil(seg.len / FAN);
    const out = rt.pool.acquire(seg.count * outLen * 16);
    mergeLevel(rt, kind, bindElems(buffer, 0, extent(seg) * 4), bindElems(out, 0, seg.count * outLen * 4), seg);
    rt.pool.release(buffer);
    buffer = out;
    seg = { count: seg.count, len: outLen, segStride: outLen, run: outLen, runStride: 0 };
  }
  return buffer;
}

/** vec4s from the start of the buffer to the last item of the last segment. */
function extent(seg: Segments): number {
  const runs = Math.ceil(seg.len / seg.run);
  return (seg.count - 1) * seg.segStride + (runs - 1) * seg.runStride + (seg.len - (runs - 1) * seg.run);
}

/** One tree level: ⌈len / FAN⌉ outputs per segment, contiguous, from the bound input. */
function mergeLevel(rt: Runtime, kind: PartialKind, input: BoundElems, output: BoundElems, seg: Segments): void {
  const outLen = Math.ceil(seg.len / FAN);
  const params = new Params().u32(seg.count).u32(seg.len).u32(outLen).u32(seg.segStride).u32(seg.run)
    .u32(seg.runStride).u32(input.base / 4).u32(output.base / 4);
  rt.dispatch(
    {
      shader: "norm_reduce",
      entry: kind === "moments" ? "merge_moments" : "merge_sums",
      bindings: ["read", "write"],
      constants: { WG: MERGE_WG, FAN },
    },
    params.bytes(),
    [input.binding, output.binding],
    grid1d(rt, seg.count * outLen, MERGE_WG),
  );
}

/** y = (x − c.x)·c.y + c.z with c = coef[plane] (vec4 per plane). */
export function normalizePlanes(rt: Runtime, x: GPUBuffer, coef: GPUBuffer, y: GPUBuffer, planes: Planes): void {
  apply(rt, "normalize", [x], coef, y, planes);
}

/** dx = dy·c.y − c.z − (x − c.x)·c.w with c = coef[plane]. */
export function normalizeBackwardPlanes(
  rt: Runtime,
  dy: GPUBuffer,
  x: GPUBuffer,
  coef: GPUBuffer,
  dx: GPUBuffer,
  planes: Planes,
): void {
  apply(rt, "normalize_backward", [dy, x], coef, dx, planes);
}

/** One element (or vec4) per invocation; grid (blocks, planes, block overflow) keeps x ≤ the per-dimension limit. */
function apply(rt: Runtime, entry: string, inputs: GPUBuffer[], coef: GPUBuffer, out: GPUBuffer, planes: Planes): void {
  const k = lanesOf(planes);
  const units = planes.size / k;
  const blocks = Math.ceil(units / APPLY_WG);
  const gx = Math.min(blocks, rt.maxWorkgroupsPerDim);
  const gz = Math.ceil(blocks / gx);
  const access: Access[] = [...inputs.map((): Access => "read"), "read", "write"];
  for (const [p0, np] of planeChunks(rt, planes, entry)) {
    const bin = inputs.map((b) => bindPlanes(b, p0, np, planes.size));
    const bc = bindPlanes(coef, p0, np, 4);
    const bo = bindPlanes(out, p0, np, planes.size);
    // Inputs are (x) or (dy, x): base_x is the last input, base_dy the first.
    const params = new Params().u32(units).u32(0).u32(bin[bin.length - 1].base / k).u32(bin[0].base / k)
      .u32(bc.base / 4).u32(bo.base / k);
    rt.dispatch(
      spec(entry, planes, access, APPLY_WG),
      params.bytes(),
      [...bin.map((b) => b.binding), bc.binding, bo.binding],
      [gx, np, gz],
    );
  }
}
