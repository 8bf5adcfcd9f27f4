// Layout and splitting shared by the convolution kernels (shaders/conv2d_layout.wgsl for the copies):
// how a plane is laid out in vec4s, row padding for widths that are not a multiple of 4, the weights' re-layout,
// and how a tensor larger than one storage binding is cut into (sample, channel) pieces.
import { Params } from "./params.ts";
import { bindElems, type BoundElems, chunks, grid1d, maxElemsPerBinding } from "./ranges.ts";
import type { KernelSpec, Runtime } from "./runtime.ts";

/** Shape of a stride-1 convolution: 3×3 with padding 1, or 1×1. Buffers are NCHW float32. */
export interface Conv2dDims {
  n: number;
  cin: number;
  cout: number;
  h: number;
  w: number;
  k: 1 | 3;
}

/** Tuning and safety limits of the convolution kernels; mutable so that tests can exercise every split. */
export const convLimits = {
  /**
   * Loop iterations we allow one invocation: Mesa's llvmpipe silently stops an invocation's loops after 65 535
   * iterations in total, so kernels that march over rows or sum over pixels split their work to stay below this.
   */
  loopBudget: 32768,
  /** Weight gradient: split row ranges until a dispatch has about this many invocations (2 cores × 8 lanes). */
  targetInvocations: 256,
};

const WG = 256;
const spec = (entry: string): KernelSpec => ({
  shader: "conv2d_layout",
  entry,
  bindings: ["read", "write"],
  constants: { WG },
});

/** A plane as the kernels see it: `rows` rows of `w4` vec4s; `padded` when rows had to be widened. */
export interface PlaneLayout {
  rows: number;
  w4: number;
  padded: boolean;
}

/** 3×3 needs whole vec4 rows; 1×1 only needs the whole plane in vec4s (it is treated as one long row). */
export function planeLayout(h: number, w: number, k: 1 | 3): PlaneLayout {
  if (k === 1 && (h * w) % 4 === 0) return { rows: 1, w4: (h * w) / 4, padded: false };
  if (w % 4 === 0) return { rows: h, w4: w / 4, padded: false };
  return { rows: h, w4: Math.ceil(w / 4), padded: true };
}

/** Floats per plane in a layout. */
export function planeElems(l: PlaneLayout): number {
  return l.rows * l.w4 * 4;
}

export function checkDims(what: string, d: Conv2dDims): void {
  for (const [name, v] of Object.entries(d)) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`${what}: ${name} must be a positive integer (got ${v})`);
  }
  if (d.k !== 1 && d.k !== 3) throw new RangeError(`${what}: only 1×1 and 3×3 kernels are supported (got k=${d.k})`);
}

/**
 * dst rows = src rows (`rows` of them) cut or zero-padded from `srcLen` to `dstLen` floats. Zero columns past the
 * image act as the convolution's padding, and zero gradients there add nothing to the weight gradient.
 */
export function copyRows(
  rt: Runtime,
  src: GPUBuffer,
  dst: GPUBuffer,
  rows: number,
  srcLen: number,
  dstLen: number,
): void {
  const per = Math.floor(maxElemsPerBinding(rt) / Math.max(srcLen, dstLen));
  if (per < 1) {
    throw new RangeError(`conv2d: a row of ${Math.max(srcLen, dstLen)} floats exceeds the storage binding limit`);
  }
  for (const [r0, nr] of chunks(rows, per)) {
    const bs = bindElems(src, r0 * srcLen, nr * srcLen);
    const bd = bindElems(dst, r0 * dstLen, nr * dstLen);
    const count = nr * dstLen;
    const params = new Params().u32(count).u32(0).u32(bs.base).u32(bd.base)
      .u32(0).u32(0).u32(0).u32(0).u32(srcLen).u32(dstLen).bytes();
    rt.dispatch(spec("copy_rows"), params, [bs.binding, bd.binding], grid1d(rt, count, WG));
  }
}

/** A pooled copy of `planes` planes of h×w with rows widened to the layout (caller releases it). */
export function padPlanes(
  rt: Runtime,
  src: GPUBuffer,
  planes: number,
  h: number,
  w: number,
  l: PlaneLayout,
): GPUBuffer {
  const dst = rt.pool.acquire(planes * planeElems(l) * 4);
  copyRows(rt, src, dst, planes * h, w, l.w4 * 4);
  return dst;
}

/** Weights re-laid out for the kernels: [block of 8 output channels][cin][tap][8]. */
export interface KernelWeights {
  buffer: GPUBuffer;
  /** Input channels of the convolution being run. */
  cin: number;
  blocks: number;
  /** Floats per block. */
  blockElems: number;
}

/**
 * Re-lays out PyTorch weights [cout][cin][k][k]. With `transpose`, builds the weights of the backward-to-input
 * convolution instead (input and output channels swapped, taps mirrored).
 */
export function relayoutWeights(rt: Runtime, w: GPUBuffer, d: Conv2dDims, transpose: boolean): KernelWeights {
  const taps = d.k * d.k;
  const convIn = transpose ? d.cout : d.cin;
  const convOut = transpose ? d.cin : d.cout;
  const blocks = Math.ceil(convOut / 8);
  const blockElems = convIn * taps * 8;
  const total = blocks * blockElems;
  const M = maxElemsPerBinding(rt);
  const srcCount = d.cin * d.cout * taps;
  if (srcCount > M) throw new RangeError(`conv2d: weights of ${srcCount} floats exceed the storage binding limit`);
  const buffer = rt.pool.acquire(total * 4);
  const bs = bindElems(w, 0, srcCount);
  for (const [start, count] of chunks(total, M)) {
    const bd = bindElems(buffer, start, count);
    const params = new Params().u32(count).u32(start).u32(bs.base).u32(bd.base)
      .u32(convIn).u32(convOut).u32(taps).u32(transpose ? 1 : 0).u32(0).u32(0).bytes();
    rt.dispatch(spec("relayout_weights"), params, [bs.binding, bd.binding], grid1d(rt, count, WG));
  }
  return { buffer, cin: convIn, blocks, blockElems };
}

/** A piece of work: samples [s0, s0 + ns) × input channels [ci0, ci0 + nci) × output channels [co0, co0 + nco). */
export interface Piece {
  s0: number;
  ns: number;
  ci0: number;
  nci: number;
  co0: number;
  nco: number;
}

/**
 * Cuts n samples × cin → cout channels of `plane` floats into pieces whose x and y ranges each fit one binding.
 * Whole samples are batched while they fit; otherwise one sample at a time, split over channel ranges. Output
 * ranges hold at most `coMax` channels, start at multiples of `coAlign` and never straddle a multiple of 8 unless
 * they are whole multiples of 8. Pieces of one sample range are consecutive, input ranges innermost.
 */
export function planPieces(
  rt: Runtime,
  what: string,
  n: number,
  cin: number,
  cout: number,
  plane: number,
  coMax: number,
  coAlign: number,
): Piece[] {
  const M = maxElemsPerBinding(rt);
  if (plane > M) {
    throw new RangeError(
      `${what}: one channel plane (${plane} floats) exceeds the ${rt.maxBinding}-byte binding limit`,
    );
  }
  const out: Piece[] = [];
  if (cin * plane <= M && cout * plane <= M && cout <= coMax) {
    const per = Math.min(n, Math.floor(M / (cin * plane)), Math.floor(M / (cout * plane)));
    for (const [s0, ns] of chunks(n, per)) out.push({ s0, ns, ci0: 0, nci: cin, co0: 0, nco: cout });
    return out;
  }
  const ciPer = Math.floor(M / plane);
  const raw = Math.min(Math.floor(M / plane), coMax);
  const coRanges: [number, number][] = [];
  if (cout <= raw) {
    coRanges.push([0, cout]);
  } else {
    const coPer = raw >= 8 ? Math.floor(raw / 8) * 8 : Math.floor(raw / coAlign) * coAlign;
    if (coPer < 1) {
      throw new RangeError(
        `${what}: ${coAlign} output planes of ${plane} floats exceed the ${rt.maxBinding}-byte binding limit`,
      );
    }
    // Output ranges inside groups of 8 (or of coPer when that is a multiple of 8).
    const group = Math.max(8, coPer);
    for (let g = 0; g < cout; g += group) {
      for (const [c0, nc] of chunks(Math.min(group, cout - g), coPer)) coRanges.push([g + c0, nc]);
    }
  }
  for (let s = 0; s < n; s++) {
    for (const [co0, nco] of coRanges) {
      for (const [ci0, nci] of chunks(cin, ciPer)) out.push({ s0: s, ns: 1, ci0, nci, co0, nco });
    }
  }
  return out;
}

/** Binds channels [c0, c0 + nc) of samples [s0, s0 + ns) of an [n][c][plane] tensor. */
export function bindPiece(
  buf: GPUBuffer,
  s0: number,
  ns: number,
  c0: number,
  nc: number,
  channels: number,
  plane: number,
): BoundElems {
  return bindElems(buf, (s0 * channels + c0) * plane, ((ns - 1) * channels + nc) * plane);
}
