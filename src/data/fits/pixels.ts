// Big-endian FITS pixel data to and from JavaScript arrays. Physical value = BZERO + BSCALE · stored value; for
// integer data a stored value equal to BLANK means "no data" and becomes NaN (FITS standard 4.0, §5.3).

export type Bitpix = 8 | 16 | 32 | 64 | -32 | -64;

export const BITPIX_VALUES: readonly Bitpix[] = [8, 16, 32, 64, -32, -64];

export interface Scaling {
  bzero: number;
  bscale: number;
  /** Integer data only: the stored value that marks a missing pixel. */
  blank?: number;
}

/** Reads `out.length` pixels from `bytes` at `offset` (which must hold them) into `out`. */
export function decodePixels(
  bytes: Uint8Array,
  offset: number,
  bitpix: Bitpix,
  scaling: Scaling,
  out: Float32Array | Float64Array,
): void {
  const n = out.length;
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, n * (Math.abs(bitpix) / 8));
  const { bzero, bscale } = scaling;
  // One loop per type, without per-pixel branching on the type: this runs over tens of millions of pixels.
  if (bitpix === -32 || bitpix === -64) {
    const scaled = bzero !== 0 || bscale !== 1; // unscaled keeps −0 and NaN payloads as stored
    if (bitpix === -32 && scaled) { for (let i = 0; i < n; i++) out[i] = bzero + bscale * view.getFloat32(i * 4); }
    else if (bitpix === -32) { for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4); }
    else if (scaled) { for (let i = 0; i < n; i++) out[i] = bzero + bscale * view.getFloat64(i * 8); }
    else for (let i = 0; i < n; i++) out[i] = view.getFloat64(i * 8);
    return;
  }
  // Integers: compare with BLANK before scaling, as the standard defines BLANK on stored values.
  const blank = scaling.blank ?? NaN;
  if (bitpix === 8) {
    for (let i = 0; i < n; i++) {
      const v = view.getUint8(i);
      out[i] = v === blank ? NaN : bzero + bscale * v;
    }
  } else if (bitpix === 16) {
    for (let i = 0; i < n; i++) {
      const v = view.getInt16(i * 2);
      out[i] = v === blank ? NaN : bzero + bscale * v;
    }
  } else if (bitpix === 32) {
    for (let i = 0; i < n; i++) {
      const v = view.getInt32(i * 4);
      out[i] = v === blank ? NaN : bzero + bscale * v;
    }
  } else {
    for (let i = 0; i < n; i++) {
      const v = Number(view.getBigInt64(i * 8));
      out[i] = v === blank ? NaN : bzero + bscale * v;
    }
  }
}

const INTEGER_RANGE: Record<8 | 16 | 32, readonly [number, number]> = {
  8: [0, 255],
  16: [-32768, 32767],
  32: [-2147483648, 2147483647],
};

/**
 * Writes `values` (already offset by −BZERO where the caller uses BZERO) big-endian into `out` at `offset`.
 * Integer BITPIX accepts only integers in range: returns the index of the first pixel that is not, or −1.
 */
export function encodePixels(
  values: ArrayLike<number>,
  bzero: number,
  bitpix: 8 | 16 | 32 | -32 | -64,
  out: Uint8Array,
  offset: number,
): number {
  const n = values.length;
  const view = new DataView(out.buffer, out.byteOffset + offset, n * (Math.abs(bitpix) / 8));
  if (bitpix === -32) {
    for (let i = 0; i < n; i++) view.setFloat32(i * 4, values[i] - bzero);
    return -1;
  }
  if (bitpix === -64) {
    for (let i = 0; i < n; i++) view.setFloat64(i * 8, values[i] - bzero);
    return -1;
  }
  const [lo, hi] = INTEGER_RANGE[bitpix];
  for (let i = 0; i < n; i++) {
    const v = values[i] - bzero;
    if (!Number.isInteger(v) || v < lo || v > hi) return i;
    if (bitpix === 8) view.setUint8(i, v);
    else if (bitpix === 16) view.setInt16(i * 2, v);
    else view.setInt32(i * 4, v);
  }
  return -1;
}
