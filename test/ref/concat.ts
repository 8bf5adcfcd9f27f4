// Float64 reference of concatenation along channels of N×C_i×plane arrays.
export function concatRef(pieces: Float64Array[], channels: number[], n: number, plane: number): Float64Array {
  const total = channels.reduce((a, b) => a + b, 0);
  const y = new Float64Array(n * total * plane);
  for (let b = 0; b < n; b++) {
    let offset = 0;
    pieces.forEach((x, i) => {
      const block = channels[i] * plane;
      y.set(x.subarray(b * block, (b + 1) * block), (b * total + offset) * plane);
      offset += channels[i];
    });
  }
  return y;
}
