// Splitting work so that no storage binding exceeds the adapter's limit (llvmpipe: 128 MiB).
// A binding starts at an offset aligned down to BIND_ALIGN; the shader adds `base` (in elements) to its indices.
import { BIND_ALIGN, type BufferRange, type Runtime } from "./runtime.ts";

export interface BoundElems {
  binding: BufferRange;
  /** Index of element `start` inside the binding. */
  base: number;
}

/** Binds float32/u32 elements [start, start + count) of `buffer`. */
export function bindElems(buffer: GPUBuffer, start: number, count: number): BoundElems {
  const startByte = start * 4;
  const offset = Math.floor(startByte / BIND_ALIGN) * BIND_ALIGN;
  const end = Math.min(buffer.size, Math.max(startByte + count * 4, offset + 4));
  return { binding: { buffer, offset, size: end - offset }, base: (startByte - offset) / 4 };
}

/** Most elements that one binding may hold wherever it starts (room kept for the alignment slack). */
export function maxElemsPerBinding(rt: Runtime): number {
  return Math.floor((rt.maxBinding - BIND_ALIGN) / 4);
}

/** Splits [0, total) into consecutive [start, count) pieces of at most `per` items. */
export function chunks(total: number, per: number): [number, number][] {
  if (per < 1) throw new RangeError(`chunk size must be ≥ 1 (got ${per})`);
  const out: [number, number][] = [];
  for (let s = 0; s < total; s += per) out.push([s, Math.min(per, total - s)]);
  return out;
}

/**
 * How many items of `itemElems` elements fit in one binding; throws a clear error naming `what` when not even one does.
 */
export function itemsPerBinding(rt: Runtime, itemElems: number, what: string): number {
  const per = Math.floor(maxElemsPerBinding(rt) / Math.max(1, itemElems));
  if (per < 1) {
    throw new RangeError(
      `${what}: one block of ${itemElems} floats (${itemElems * 4} bytes) exceeds the adapter's ` +
        `${rt.maxBinding}-byte storage binding limit`,
    );
  }
  return per;
}

/** A 1-D launch of `invocations` threads in workgroups of `wg`, folded into x/y so no dimension exceeds the limit.
 * Shaders recover the linear index as `gid.x + gid.y * nwg.x * WG`. */
export function grid1d(rt: Runtime, invocations: number, wg: number): [number, number] {
  const groups = Math.ceil(invocations / wg);
  const x = Math.min(groups, rt.maxWorkgroupsPerDim);
  return [Math.max(1, x), Math.max(1, Math.ceil(groups / Math.max(1, x)))];
}
