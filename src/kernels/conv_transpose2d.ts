// ConvTranspose2d, kernel 2×2, stride 2 (shaders/conv_transpose2d.wgsl): forward and the three gradients.
// Every dispatch binds at most rt.maxBinding bytes: work is split into chunks of whole samples, or, when one
// sample is too big, into chunks of one sample × a channel range; split reductions accumulate across chunks.
import { Params } from "./params.ts";
import { bindElems, type BoundElems, chunks, grid1d, itemsPerBinding, maxElemsPerBinding } from "./ranges.ts";
import type { BufferRange, KernelSpec, Runtime } from "./runtime.ts";

/** Shapes: x is n×cin×h×w, y is n×cout×2h×2w, w is cin×cout×2×2, bias is cout. */
export interface ConvTranspose2dDims {
  n: number;
  cin: number;
  cout: number;
  h: number;
  w: number;
}

const WG = 64;
const MAX_GRID = 65535;
/** The weight and bias gradients split their pixel reduction into at most this many pieces of partial sums. */
const MAX_PIECES = 256;
/** Pixel steps per weight-gradient piece: a piece's x and dy stay in cache while the channel blocks pass over it. */
const SPAN = 256;
/** A weight-gradient workgroup is one SIMD batch: 8 channel blocks of the same piece. */
const PIECE_WG = 8;
/** SIMD batches a weight-gradient dispatch should offer so that both cores stay busy to the end. */
const TARGET_BATCHES = 64;

/** `accumulate`: add into the destination (the later chunks of a split reduction) instead of overwriting it. */
const spec = (entry: string, accumulate = false, wg = WG): KernelSpec => ({
  shader: "conv_transpose2d",
  entry,
  bindings: ["read", "read", "read", "write"],
  constants: { WG: wg, ACCUMULATE: accumulate ? 1 : 0 },
});

/** One dispatch's share: samples [n0, n0+nc), x-side channels [i0, i0+ic), y-side channels [o0, o0+oc). */
interface Chunk {
  n0: number;
  nc: number;
  i0: number;
  ic: number;
  o0: number;
  oc: number;
}

/**
 * Splits the work so that the x-side range (cin planes of xPlane elements per sample) and the y-side range
 * (cout planes of yPlane) of each chunk fit in one binding. Whole samples when one sample fits, else one sample
 * and channel ranges, ordered so that the first x-channel chunk of each (sample, y range) comes first.
 */
function plan(rt: Runtime, d: ConvTranspose2dDims, xPlane: number, yPlane: number, maxSamples: number): Chunk[] {
  const max = maxElemsPerBinding(rt);
  const xSample = d.cin * xPlane;
  const ySample = d.cout * yPlane;
  if (xSample <= max && ySample <= max) {
    const per = Math.max(1, Math.min(Math.floor(max / xSample), Math.floor(max / ySample), maxSamples));
    return chunks(d.n, per).map(([n0, nc]) => ({ n0, nc, i0: 0, ic: d.cin, o0: 0, oc: d.cout }));
  }
  const what = "conv_transpose2d";
  const icPer = itemsPerBinding(rt, xPlane, what);
  const ocPer = itemsPerBinding(rt, yPlane, what);
  const out: Chunk[] = [];
  for (let n0 = 0; n0 < d.n; n0++) {
    for (const [i0, ic] of chunks(d.cin, icPer)) {
      for (const [o0, oc] of chunks(d.cout, ocPer)) out.push({ n0, nc: 1, i0, ic, o0, oc });
    }
  }
  return out;
}

/**
 * Binds the chunk's channel range of a [n][channels][plane] tensor. With plane % 4 == 0 the start, and so the
 * base (the start modulo BIND_ALIGN / 4), is a whole number of vec4s, as the vec4 kernels need.
 */
function bindChannels(buf: GPUBuffer, channels: number, plane: number, n0: number, nc: number, c0: number, cc: number) {
  return bindElems(buf, (n0 * channels + c0) * plane, ((nc - 1) * channels + cc) * plane);
}

/** A whole small tensor bound as vec4s: the size is rounded up to 16 bytes (pool buffers are 256-byte rounded). */
function whole(buf: GPUBuffer, elems: number): BufferRange {
  return { buffer: buf, offset: 0, size: Math.min(buf.size, Math.ceil((elems * 4) / 16) * 16) };
}

/** Rounds a chunk binding up to whole vec4s so the kernels' vec4 views cover every element. */
function vec4Range(r: BufferRange): BufferRange {
  return { ...r, size: Math.min(r.buffer.size - r.offset, Math.ceil(r.size / 16) * 16) };
}

interface Fields {
  baseX?: number;
  baseY?: number;
  lanes?: number;
  blocks?: number;
  hasBias?: boolean;
  slices?: number;
  span?: number;
}

/** The WGSL `Params` block, in field order. */
function params(d: ConvTranspose2dDims, c: Chunk, f: Fields): ArrayBuffer {
  return new Params()
    .u32(d.cin).u32(d.cout).u32(d.h).u32(d.w)
    .u32(c.nc).u32(c.i0).u32(c.ic).u32(c.o0).u32(c.oc)
    .u32(f.baseX ?? 0).u32(f.baseY ?? 0).u32(f.lanes ?? 0).u32(f.blocks ?? 1)
    .u32(f.hasBias ? 1 : 0).u32(f.slices ?? 0).u32(f.span ?? 0)
    .bytes();
}

function check(d: ConvTranspose2dDims): void {
  for (const [k, v] of Object.entries(d)) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`conv_transpose2d: ${k} = ${v} must be a positive integer`);
  }
}

/** The fast kernels read 4 pixels of a row as one vec4 and give each invocation 16 pixels. */
function tiles(rt: Runtime, d: ConvTranspose2dDims): number {
  const t = Math.ceil((d.h * d.w) / 16);
  if (Math.ceil(t / WG) > rt.maxWorkgroupsPerDim) throw new RangeError(`conv_transpose2d: ${d.h}×${d.w} is too large`);
  return t;
}

/**
 * Dispatches a forward or input-gradient kernel over a chunk: the vec4 kernel (grid x = channel blocks, so that
 * consecutive workgroups reuse the same pixels; y = pixel tiles; z = samples) when w % 4 == 0, else the scalar one.
 */
function dispatchTiled(
  rt: Runtime,
  entry: string,
  p: (lanes: number, blocks: number) => ArrayBuffer,
  bindings: BufferRange[],
  d: ConvTranspose2dDims,
  nc: number,
  channels: number,
  perBlock: number,
): void {
  const blocks = Math.ceil(channels / perBlock);
  if (d.w % 4 === 0) {
    const lanes = tiles(rt, d);
    rt.dispatch(spec(entry), p(lanes, blocks), bindings, [blocks, Math.ceil(lanes / WG), nc]);
  } else {
    const lanes = d.h * d.w;
    const [gx, gy] = grid1d(rt, lanes, WG);
    rt.dispatch(spec(`${entry}_any`), p(lanes, blocks), bindings, [gx, gy, nc * blocks]);
  }
}

/**
 * Where a chunk writes its result. The first chunk of a split reduction writes the destination range itself; a
 * later one (only ever one sample, so its rows start at index 0) writes a scratch buffer, then `add` sums it in.
 */
function chunkTarget(rt: Runtime, d: ConvTranspose2dDims, c: Chunk, dest: BoundElems, elems: number, later: boolean) {
  if (!later) return { binding: vec4Range(dest.binding), base: dest.base, add: () => {} };
  const scratch = rt.pool.acquire(elems * 4);
  const add = () => {
    const dummy = whole(rt.dummy, 1);
    const p = params(d, c, { baseX: dest.base, lanes: elems });
    const src = { buffer: scratch, offset: 0, size: elems * 4 };
    rt.dispatch(spec("add_chunk"), p, [src, dummy, dummy, dest.binding], grid1d(rt, elems, WG));
    rt.pool.release(scratch);
  };
  return { binding: whole(scratch, elems), base: 0, add };
}

/** y = conv_transpose2d(x, w) + b. `b` may be null (no bias). */
export function convTranspose2dForward(
  rt: Runtime,
  x: GPUBuffer,
  w: GPUBuffer,
  b: GPUBuffer | null,
  y: GPUBuffer,
  d: ConvTranspose2dDims,
): void {
  check(d);
  const hw = d.h * d.w;
  const wRange = whole(w, d.cin * d.cout * 4);
  const bRange = b ? whole(b, d.cout) : whole(rt.dummy, 1);
  for (const c of plan(rt, d, hw, 4 * hw, Math.floor(MAX_GRID / Math.ceil(d.cout / 8)))) {
    const bx = bindChannels(x, d.cin, hw, c.n0, c.nc, c.i0, c.ic);
    // Input-channel chunks after the first are added onto y; only the first adds the bias.
    const later = c.i0 > 0;
    const out = chunkTarget(rt, d, c, bindChannels(y, d.cout, 4 * hw, c.n0, c.nc, c.o0, c.oc), c.oc * 4 * hw, later);
    const p = (lanes: number, blocks: number) =>
      params(d, c, { baseX: bx.base, baseY: out.base, lanes, blocks, hasBias: b !== null && !later });
    const bindings = [vec4Range(bx.binding), wRange, bRange, out.binding];
    dispatchTiled(rt, "forward", p, bindings, d, c.nc, c.oc, 8);
    out.add();
  }
}

/** dx = the gradient of conv_transpose2d with respect to its input, from dy. */
export function convTranspose2dBackwardInput(
  rt: Runtime,
  dy: GPUBuffer,
  w: GPUBuffer,
  dx: GPUBuffer,
  d: ConvTranspose2dDims,
): void {
  check(d);
  const hw = d.h * d.w;
  const perBlock = d.w % 4 === 0 ? 16 : 8;
  // Weights as [co][ci] taps so one step's weight loads are contiguous.
  const wt = rt.pool.acquire(d.cin * d.cout * 16);
  const wRange = whole(w, d.cin * d.cout * 4);
  const wtRange = whole(wt, d.cin * d.cout * 4);
  const dummy = whole(rt.dummy, 1);
  const all = { n0: 0, nc: 1, i0: 0, ic: d.cin, o0: 0, oc: d.cout };
  rt.dispatch(
    spec("transpose_weight"),
    params(d, all, {}),
    [dummy, wRange, dummy, wtRange],
    grid1d(rt, d.cin * d.cout, WG),
  );
  // The x side is dx (cin planes of hw), the y side dy (cout planes of 4hw); the reduction runs over cout.
  for (const c of plan(rt, d, hw, 4 * hw, Math.floor(MAX_GRID / Math.ceil(d.cin / perBlock)))) {
    const bdy = bindChannels(dy, d.cout, 4 * hw, c.n0, c.nc, c.o0, c.oc);
    // Output-channel chunks after the first are added onto dx.
    const out = chunkTarget(rt, d, c, bindChannels(dx, d.cin, hw, c.n0, c.nc, c.i0, c.ic), c.ic * hw, c.o0 > 0);
    const p = (lanes: number, blocks: number) => params(d, c, { baseX: out.base, baseY: bdy.base, lanes, blocks });
    const bindings = [dummy, wtRange, vec4Range(bdy.binding), out.binding];
    dispatchTiled(rt, "backward_input", p, bindings, d, c.nc, c.ic, perBlock);
    out.add();
  }
  rt.pool.release(wt);
}

/** Most partial-sum pieces of `perPiece` floats that fit in one binding. */
function maxPieces(rt: Runtime, perPiece: number): number {
  return Math.min(MAX_PIECES, itemsPerBinding(rt, perPiece, "conv_transpose2d gradient partial sums"));
}

/**
 * dw = the gradient with respect to the weights ([cin][cout][2][2]), summed over samples and pixels. With `db`, the
 * bias gradient too, from the same dy loads (cheaper than convTranspose2dBackwardBias's own pass over dy).
 */
export function convTranspose2dBackwardWeight(
  rt: Runtime,
  x: GPUBuffer,
  dy: GPUBuffer,
  dw: GPUBuffer,
  d: ConvTranspose2dDims,
  db: GPUBuffer | null = null,
): void {
  check(d);
  const hw = d.h * d.w;
  const fast = d.w % 4 === 0;
  const ciPer = fast ? 16 : 4;
  const coPer = 4;
  const weights = d.cin * d.cout * 4;
  const dwRange = whole(dw, weights);
  const dummy = whole(rt.dummy, 1);
  // The bias partials (cout·4 floats per piece) are smaller than the weight partials: one limit serves both.
  const fit = maxPieces(rt, weights);
  const work = plan(rt, d, hw, 4 * hw, Infinity).map((c) => {
    const coBlocks = Math.ceil(c.oc / coPer);
    const blocks = Math.ceil(c.ic / ciPer) * coBlocks;
    if (Math.ceil(blocks / PIECE_WG) > rt.maxWorkgroupsPerDim) {
      throw new RangeError(`conv_transpose2d: ${d.cin}×${d.cout} channels is too many`);
    }
    const steps = c.nc * (fast ? hw / 4 : hw);
    // Pieces of about SPAN steps, more when the channel blocks give too little parallelism, fewer when the
    // partial sums would not fit in one binding.
    const wanted = Math.max(Math.ceil(steps / SPAN), Math.ceil(TARGET_BATCHES / Math.ceil(blocks / PIECE_WG)));
    const span = Math.ceil(steps / Math.max(1, Math.min(fit, steps, wanted)));
    return { c, coBlocks, blocks, span, pieces: Math.ceil(steps / span) };
  });
  const pieces = Math.max(...work.map((k) => k.pieces));
  const partial = rt.pool.acquire(pieces * weights * 4);
  const biasPartial = rt.pool.acquire(pieces * d.cout * 16);
  const dummyOut = rt.pool.acquire(16);
  for (const { c, coBlocks, blocks, span, pieces } of work) {
    const bx = bindChannels(x, d.cin, hw, c.n0, c.nc, c.i0, c.ic);
    const bdy = bindChannels(dy, d.cout, 4 * hw, c.n0, c.nc, c.o0, c.oc);
    // The bias sums of a (samples, output channels) range come from its first input-channel chunk only.
    const hasBias = db !== null && c.i0 === 0;
    const p = params(d, c, {
      baseX: bx.base,
      baseY: bdy.base,
      lanes: blocks,
      blocks: coBlocks,
      slices: pieces,
      span,
      hasBias,
    });
    const partialRange = whole(partial, pieces * weights);
    const biasRange = hasBias ? whole(biasPartial, pieces * d.cout * 4) : whole(dummyOut, 4);
    const kernel: KernelSpec = {
      ...spec(fast ? "backward_weight" : "backward_weight_any", false, PIECE_WG),
      bindings: ["read", "write", "read", "write"],
    };
    rt.dispatch(kernel, p, [vec4Range(bx.binding), biasRange, vec4Range(bdy.binding), partialRange], [
      Math.ceil(blocks / PIECE_WG),
      pieces,
      1,
    ]);
    // Each (ci, co) block is first written by its first sample chunk, then accumulated.
    const rp = params(d, c, { slices: pieces });
    const later = c.n0 > 0;
    rt.dispatch(spec("reduce_weight", later), rp, [partialRange, dummy, dummy, dwRange], grid1d(rt, c.ic * c.oc, WG));
    if (hasBias) {
      const dbRange = whole(db, d.cout);
      rt.dispatch(spec("reduce_bias", later), rp, [biasRange, dummy, dummy, dbRange], grid1d(rt, c.oc, WG));
    }
  }
  for (const b of [partial, biasPartial, dummyOut]) rt.pool.release(b);
}

/** db = Σ of dy over samples and pixels, per output channel. */
export function convTranspose2dBackwardBias(rt: Runtime, dy: GPUBuffer, db: GPUBuffer, d: ConvTranspose2dDims): void {
  check(d);
  const hw = d.h * d.w;
  const dummy = whole(rt.dummy, 1);
  const dbRange = whole(db, d.cout);
  const most = maxPieces(rt, d.cout * 4);
  // Only dy is bound: plan with an x side of one element so that it never limits the chunk.
  const dyOnly = { ...d, cin: 1 };
  const work = plan(rt, dyOnly, 1, 4 * hw, Infinity).map((c) => {
    // Each slice sums every slices-th vec4 of a plane (4hw floats = hw vec4s): few slices for small planes.
    return { c, slices: Math.min(most, Math.max(1, Math.ceil(hw / 64))) };
  });
  const partial = rt.pool.acquire(Math.max(...work.map((k) => k.slices)) * d.cout * 16);
  for (const { c, slices } of work) {
    const bdy = bindChannels(dy, d.cout, 4 * hw, c.n0, c.nc, c.o0, c.oc);
    const p = params(dyOnly, c, { baseY: bdy.base, slices });
    const partialRange = whole(partial, slices * d.cout * 4);
    const [gx, gy] = grid1d(rt, slices, WG);
    rt.dispatch(spec("backward_bias"), p, [dummy, dummy, vec4Range(bdy.binding), partialRange], [gx, gy, c.oc]);
    const rp = params(dyOnly, c, { slices });
    rt.dispatch(spec("reduce_bias", c.n0 > 0), rp, [partialRange, dummy, dummy, dbRange], grid1d(rt, c.oc, WG));
  }
  rt.pool.release(partial);
}
