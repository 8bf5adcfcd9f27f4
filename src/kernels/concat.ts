// Concatenation along channels of N×C_i×H×W tensors, and its inverse (the backward), as buffer-to-buffer copies:
// one copy per (batch item, piece), each a contiguous C_i·H·W block. Copies bind nothing, so no binding limit
// applies, and on llvmpipe a copy is a memcpy: 16×64×256² measured ~29 ms by copies against ~450 ms by a
// strided-copy compute kernel (which also needed splitting at the 128 MiB binding limit).
import type { Runtime } from "./runtime.ts";

export interface ChannelPiece {
  buffer: GPUBuffer;
  channels: number;
}

/** y[n, off_i + c] = piece_i[n, c] for every piece, where off_i = Σ_{j<i} C_j; `plane` = H·W. */
export function concatChannels(rt: Runtime, pieces: ChannelPiece[], y: GPUBuffer, n: number, plane: number): void {
  forEachBlock(
    pieces,
    n,
    plane,
    (piece, pieceByte, catByte, bytes) => rt.copy(piece.buffer, pieceByte, y, catByte, bytes),
  );
}

/** piece_i[n, c] = g[n, off_i + c]: splits a concatenation's gradient (pieces with a null buffer are skipped). */
export function splitChannels(
  rt: Runtime,
  g: GPUBuffer,
  pieces: { buffer: GPUBuffer | null; channels: number }[],
  n: number,
  plane: number,
): void {
  forEachBlock(pieces, n, plane, (piece, pieceByte, catByte, bytes) => {
    if (piece.buffer) rt.copy(g, catByte, piece.buffer, pieceByte, bytes);
  });
}

/** Calls `f` with each (piece, byte offset in the piece, byte offset in the concatenation, byte count). */
function forEachBlock<P extends { channels: number }>(
  pieces: P[],
  n: number,
  plane: number,
  f: (piece: P, pieceByte: number, catByte: number, bytes: number) => void,
): void {
  const total = pieces.reduce((s, p) => s + p.channels, 0);
  let offset = 0;
  for (const piece of pieces) {
    const bytes = piece.channels * plane * 4;
    if (bytes > 0) {
      for (let b = 0; b < n; b++) f(piece, b * bytes, (b * total + offset) * plane * 4, bytes);
    }
    offset += piece.channels;
  }
}
