// IEEE half precision and bfloat16 ↔ float32, bit by bit (no Float16Array: not in every runtime yet).

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Half-precision bits → value (exact: every half is a float32). */
export function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >>> 10) & 0x1f;
  const mant = bits & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24; // zero and subnormals
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1024 + mant) * 2 ** (exp - 25);
}

/** Value → half-precision bits, rounding the float32 value to nearest, ties to even (as numpy and torch do). */
export function floatToHalf(value: number): number {
  f32[0] = value;
  const b = u32[0];
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  const mant = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 | (mant >>> 13) : 0); // inf, or a quiet NaN
  const e = exp - 112; // rebias 127 → 15
  if (e >= 0x1f) return sign | 0x7c00; // too large: infinity
  if (e <= 0) {
    // Subnormal half: value = m · 2^-24 with m = significand >> (14 - e); anything below 2^-25 rounds to zero.
    if (e < -10) return sign;
    const shift = 14 - e;
    const sig = mant | 0x800000;
    return sign | roundShift(sig, shift); // m = 1024 carries into the smallest normal, as it should
  }
  // A carry out of the mantissa moves into the exponent, up to infinity: also correct.
  return sign | ((e << 10) + roundShift(mant, 13));
}

/** x >> shift, rounded to nearest, ties to even. */
function roundShift(x: number, shift: number): number {
  const q = x >>> shift;
  const rem = x & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  return rem > half || (rem === half && (q & 1) === 1) ? q + 1 : q;
}

/** bfloat16 bits → value: the top half of a float32. */
export function bfloat16ToFloat(bits: number): number {
  u32[0] = (bits & 0xffff) << 16;
  return f32[0];
}
