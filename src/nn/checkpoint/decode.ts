// Raw little-endian bytes → typed arrays, for both checkpoint formats.
import { bfloat16ToFloat, halfToFloat } from "./float16.ts";
import { assertLittleEndianHost, type DType, itemSize, type TensorArray, type TensorData } from "./types.ts";

/** What a file can store; half precision is widened on load. */
export type StoredDType = DType | "float16" | "bfloat16";

/**
 * Decodes `bytes` (exactly numel × item size) as `dtype`. The bytes are copied, so the result owns aligned
 * memory and does not alias the file buffer.
 */
export function decodeArray(bytes: Uint8Array, dtype: StoredDType): Pick<TensorData, "dtype" | "data" | "storedAs"> {
  assertLittleEndianHost();
  const n = bytes.length / itemSize[dtype];
  if (dtype === "float16" || dtype === "bfloat16") {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const out = new Float32Array(n);
    const convert = dtype === "float16" ? halfToFloat : bfloat16ToFloat;
    for (let i = 0; i < n; i++) out[i] = convert(view.getUint16(2 * i, true));
    return { dtype: "float32", data: out, storedAs: dtype };
  }
  const buffer = bytes.slice().buffer;
  return { dtype, data: typedArray(dtype, buffer) };
}

function typedArray(dtype: DType, buffer: ArrayBuffer): TensorArray {
  switch (dtype) {
    case "float64":
      return new Float64Array(buffer);
    case "float32":
      return new Float32Array(buffer);
    case "int64":
      return new BigInt64Array(buffer);
    case "int32":
      return new Int32Array(buffer);
    case "int16":
      return new Int16Array(buffer);
    case "int8":
      return new Int8Array(buffer);
    case "uint8":
    case "bool":
      return new Uint8Array(buffer);
  }
}

/** The dtype that a typed array holds (Uint8Array reads as uint8 unless the caller says bool). */
export function dtypeOf(data: TensorArray): DType {
  if (data instanceof Float64Array) return "float64";
  if (data instanceof Float32Array) return "float32";
  if (data instanceof BigInt64Array) return "int64";
  if (data instanceof Int32Array) return "int32";
  if (data instanceof Int16Array) return "int16";
  if (data instanceof Int8Array) return "int8";
  return "uint8";
}
