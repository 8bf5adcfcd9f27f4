// Minimal .npy reader for the golden files (little-endian float32, C order), used by tests only.
export interface Npy {
  shape: number[];
  data: Float32Array;
}

export function parseNpy(input: Uint8Array, name: string): Npy {
  // A plain copy: Node's Buffer.slice returns a view, which would break the Float32Array below.
  const bytes = new Uint8Array(input);
  const magic = String.fromCharCode(...bytes.subarray(0, 6));
  if (magic !== "\x93NUMPY") throw new Error(`${name}: not a .npy file`);
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = major >= 2 ? view.getUint32(8, true) : view.getUint16(8, true);
  const start = major >= 2 ? 12 : 10;
  const header = new TextDecoder().decode(bytes.subarray(start, start + headerLen));
  if (!/'descr':\s*'<f4'/.test(header)) throw new Error(`${name}: only little-endian float32 is supported (${header})`);
  if (/'fortran_order':\s*True/.test(header)) throw new Error(`${name}: Fortran order is not supported`);
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1] ?? "";
  const shape = shapeText.split(",").map((s) => s.trim()).filter(Boolean).map(Number);
  const offset = start + headerLen;
  const count = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(bytes.slice(offset, offset + count * 4).buffer);
  if (data.length !== count) throw new Error(`${name}: truncated (${data.length} of ${count} values)`);
  return { shape, data };
}
