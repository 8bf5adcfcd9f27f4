// Dispatch of the plane-wise passes of shaders/norm_reduce.wgsl (shared by BatchNorm2d and GroupNorm), split over
// chunks of whole planes so that no binding exceeds the adapter's limit.
import { Params } from "./params.ts";
import { bindElems, type BoundElems, chunks, itemsPerBinding } from "./ranges.ts";
import type { Access, KernelSpec, Runtime } from "./runtime.ts";

/** Invocations per workgroup of the reductions: 64 measured as fast as 128 or 256 on llvmpipe and leaves fewer
 * idle invocations on small planes. */
const REDUCE_WG = 64;
/** Elements (or vec4s) one reduction invocation sums: partials cost 16 bytes per ITEMS·4 (or ·16) bytes read. */
const ITEMS = 32;
/** Must match LANES in the WGSL. */
const LANES = 8;
const APPLY_WG = 256;

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

/** Partials written per plane by `momentPartials` / `gradPartials`. */
export function partialsPerPlane(planes: Planes): number {
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

/** Partial (count, mean, M2) of the planes of `x`; the caller releases `buffer` to the pool after merging. */
export function momentPartials(rt: Runtime, x: GPUBuffer, planes: Planes): Partials {
  const perPlane = partialsPerPlane(planes);
  const buffer = rt.pool.acquire(planes.count * perPlane * 16);
  const k = lanesOf(planes);
  for (const [p0, np] of planeChunks(rt, planes, "norm moments")) {
    const bx = bindPlanes(x, p0, np, planes.size);
    const bo = bindPlanes(buffer, p0, np, perPlane * 4);
    const params = new Params().u32(planes.size / k).u32(perPlane).u32(bx.base / k).u32(0).u32(0).u32(bo.base / 4);
    rt.dispatch(spec("moments", planes, ["read", "write"], REDUCE_WG), params.bytes(), [bx.binding, bo.binding], [
      perPlane / REDUCE_WG,
      np,
    ]);
  }
  return { buffer, perPlane };
}

/** Partial (Σdy, Σdy·(x − mean), 0, 0) per plane, the mean taken from coef[plane].x. */
export function gradPartials(rt: Runtime, dy: GPUBuffer, x: GPUBuffer, coef: GPUBuffer, planes: Planes): Partials {
  const perPlane = partialsPerPlane(planes);
  const buffer = rt.pool.acquire(planes.count * perPlane * 16);
  const k = lanesOf(planes);
  for (const [p0, np] of planeChunks(rt, planes, "norm gradient sums")) {
    const bdy = bindPlanes(dy, p0, np, planes.size);
    const bx = bindPlanes(x, p0, np, planes.size);
    const bc = bindPlanes(coef, p0, np, 4);
    const bo = bindPlanes(buffer, p0, np, perPlane * 4);
    const params = new Params().u32(planes.size / k).u32(perPlane).u32(bx.base / k).u32(bdy.base / k)
      .u32(bc.base / 4).u32(bo.base / 4);
    rt.dispatch(
      spec("grad_sums", planes, ["read", "read", "read", "write"], REDUCE_WG),
      params.bytes(),
      [bdy.binding, bx.binding, bc.binding, bo.binding],
      [perPlane / REDUCE_WG, np],
    );
  }
  return { buffer, perPlane };
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
