// safetensors: an 8-byte little-endian header length N, N bytes of JSON
// {"__metadata__": {str: str}, "<name>": {"dtype", "shape", "data_offsets": [begin, end]}, …}, then the tensors'
// raw little-endian bytes, back to back, offsets relative to the end of the header.
import { decodeArray, dtypeOf, type StoredDType } from "./decode.ts";
import { floatToHalf } from "./float16.ts";
import {
  assertLittleEndianHost,
  CheckpointError,
  type DType,
  itemSize,
  numel,
  type StateDict,
  type TensorArray,
} from "./types.ts";

const DTYPES: Record<string, StoredDType> = {
  F64: "float64",
  F32: "float32",
  F16: "float16",
  BF16: "bfloat16",
  I64: "int64",
  I32: "int32",
  I16: "int16",
  I8: "int8",
  U8: "uint8",
  BOOL: "bool",
};
const NAMES = Object.fromEntries(Object.entries(DTYPES).map(([k, v]) => [v, k])) as Record<StoredDType, string>;

/** The reference implementation refuses headers over 100 MB; so does this one. */
const MAX_HEADER = 100_000_000;

export interface SafetensorsInput {
  shape: readonly number[];
  data: TensorArray;
  /** Only needed to store a Uint8Array as BOOL; otherwise taken from the array type. */
  dtype?: DType;
}

export interface SaveOptions {
  /** Store float32 tensors as F16 (round to nearest even; large values become ±inf). */
  float16?: boolean;
}

/**
 * Serialises tensors as safetensors. Like the reference implementation: data sorted by alignment then name
 * (so every tensor starts aligned to its item size), header padded with spaces to a multiple of 8.
 */
export function saveSafetensors(
  tensors: ReadonlyMap<string, SafetensorsInput>,
  metadata: Record<string, string> = {},
  options: SaveOptions = {},
): Uint8Array {
  assertLittleEndianHost();
  const items = [...tensors].map(([name, t]) => {
    if (name === "__metadata__") throw new Error("saveSafetensors: __metadata__ is not a tensor name");
    if (numel(t.shape) !== t.data.length) {
      throw new Error(`saveSafetensors: ${name} has shape [${t.shape}] but ${t.data.length} elements`);
    }
    const dtype: StoredDType = t.dtype ?? dtypeOf(t.data);
    if (dtype === "float32" && options.float16 && t.data instanceof Float32Array) {
      const half = new Uint16Array(t.data.length);
      for (let i = 0; i < half.length; i++) half[i] = floatToHalf(t.data[i]);
      return { name, shape: t.shape, dtype: "float16" as StoredDType, bytes: new Uint8Array(half.buffer) };
    }
    return { name, shape: t.shape, dtype, bytes: new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength) };
  });
  items.sort((a, b) => itemSize[b.dtype] - itemSize[a.dtype] || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  const header: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== "string") throw new Error(`saveSafetensors: metadata ${key} is not a string`);
  }
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const item of items) {
    header[item.name] = {
      dtype: NAMES[item.dtype],
      shape: item.shape,
      data_offsets: [offset, offset + item.bytes.length],
    };
    offset += item.bytes.length;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const spaced = new Uint8Array(padded).fill(0x20);
    spaced.set(json);
    json = spaced;
  }
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let p = 8 + json.length;
  for (const item of items) {
    out.set(item.bytes, p);
    p += item.bytes.length;
  }
  return out;
}

/** Parses and validates a safetensors file. F16/BF16 tensors are widened to float32 (`storedAs` says so). */
export function loadSafetensors(
  bytes: Uint8Array,
  fileName: string,
): { tensors: StateDict; metadata: Record<string, string> } {
  const fail = (message: string): never => {
    throw new CheckpointError(fileName, message);
  };
  if (bytes.length < 8) fail(`${bytes.length} bytes is too short for a safetensors file`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getBigUint64(0, true);
  if (length > BigInt(bytes.length - 8)) {
    fail(`header length ${length} is larger than the ${bytes.length - 8} bytes after it`);
  }
  if (length > BigInt(MAX_HEADER)) fail(`header length ${length} exceeds the ${MAX_HEADER}-byte limit`);
  const dataStart = 8 + Number(length);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, dataStart)));
  } catch (e) {
    fail(`header is not valid UTF-8 JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (!isRecord(header)) return fail("header is not a JSON object");

  const metadata: Record<string, string> = {};
  const entries: { name: string; dtype: StoredDType; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, value] of Object.entries(header)) {
    if (name === "__metadata__") {
      if (!isRecord(value)) fail("__metadata__ is not an object");
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        metadata[k] = typeof v === "string" ? v : fail(`__metadata__.${k} is not a string`);
      }
      continue;
    }
    if (!isRecord(value)) return fail(`tensor ${name}: header entry is not an object`);
    const dtype = typeof value.dtype === "string" && value.dtype in DTYPES ? DTYPES[value.dtype] : fail(
      `tensor ${name}: dtype ${JSON.stringify(value.dtype)} is not supported (${Object.keys(DTYPES).join(", ")})`,
    );
    const shape = intArray(value.shape) ?? fail(`tensor ${name}: shape is not a list of non-negative integers`);
    const offsets = intArray(value.data_offsets);
    if (!offsets || offsets.length !== 2 || offsets[0] > offsets[1]) {
      return fail(`tensor ${name}: data_offsets is not [begin, end] with begin ≤ end`);
    }
    const [begin, end] = offsets;
    if (end - begin !== numel(shape) * itemSize[dtype]) {
      fail(`tensor ${name}: ${end - begin} bytes do not hold shape [${shape}] of ${NAMES[dtype]}`);
    }
    entries.push({ name, dtype, shape, begin, end });
  }

  // The data section must be covered exactly, without gaps or overlaps.
  const order = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const e of order) {
    if (e.begin !== cursor) {
      fail(
        `tensor ${e.name}: data_offsets [${e.begin}, ${e.end}] ${e.begin < cursor ? "overlap" : "leave a gap after"} ` +
          `the previous tensor, which ends at ${cursor}`,
      );
    }
    cursor = e.end;
  }
  const dataLength = bytes.length - dataStart;
  if (cursor !== dataLength) fail(`tensors cover ${cursor} bytes but the data section has ${dataLength}`);

  const tensors: StateDict = new Map();
  for (const e of entries) {
    const raw = bytes.subarray(dataStart + e.begin, dataStart + e.end);
    tensors.set(e.name, { shape: e.shape, ...decodeArray(raw, e.dtype) });
  }
  return { tensors, metadata };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function intArray(v: unknown): number[] | null {
  if (!Array.isArray(v)) return null;
  return v.every((x) => typeof x === "number" && Number.isSafeInteger(x) && x >= 0) ? v as number[] : null;
}
