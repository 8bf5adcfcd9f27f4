// Types shared by the checkpoint readers (PyTorch .pth, safetensors): a tensor is a shape, a dtype and a
// contiguous row-major typed array in host (little-endian) byte order.

/** Element types a loaded tensor can have. float16/bfloat16 files are widened to float32 on load. */
export type DType = "float64" | "float32" | "int64" | "int32" | "int16" | "int8" | "uint8" | "bool";

export type TensorArray =
  | Float64Array
  | Float32Array
  | BigInt64Array
  | Int32Array
  | Int16Array
  | Int8Array
  | Uint8Array;

export interface TensorData {
  shape: number[];
  dtype: DType;
  /** Row-major, contiguous; length = product of shape. bool is one byte (0/1) per element, in a Uint8Array. */
  data: TensorArray;
  /** Set when the file held half precision that was widened to float32 (dtype is then "float32"). */
  storedAs?: "float16" | "bfloat16";
}

/** Parameter and buffer name → tensor, in file order. */
export type StateDict = Map<string, TensorData>;

/** Any malformed, truncated or refused checkpoint. The message starts with the file name. */
export class CheckpointError extends Error {
  constructor(readonly fileName: string, message: string) {
    super(`${fileName}: ${message}`);
    this.name = "CheckpointError";
  }
}

/** Bytes per element of each dtype as stored, including the half-precision storage types. */
export const itemSize: Record<DType | "float16" | "bfloat16", number> = {
  float64: 8,
  float32: 4,
  float16: 2,
  bfloat16: 2,
  int64: 8,
  int32: 4,
  int16: 2,
  int8: 1,
  uint8: 1,
  bool: 1,
};

/** Product of a shape (1 for a scalar). */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** The typed arrays alias memory in host order; every supported platform is little-endian, but say so if not. */
export function assertLittleEndianHost(): void {
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
    throw new Error("checkpoint IO needs a little-endian host");
  }
}
