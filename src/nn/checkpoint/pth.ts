// PyTorch zip-format checkpoints (torch.save ≥ 1.6): `<root>/data.pkl` pickles the state_dict, each tensor a
// `_rebuild_tensor_v2(storage, offset, shape, stride, …)` call whose storage is a persistent id naming the raw
// little-endian bytes in `<root>/data/<key>`.
import { decodeArray, type StoredDType } from "./decode.ts";
import { describe, PyGlobal, PyObject, PyTuple, type PyValue, unpickle } from "./pickle.ts";
import { CheckpointError, itemSize, numel, type StateDict } from "./types.ts";
import { readZip } from "./zip.ts";

/** torch storage classes → element type (typed storages; UntypedStorage counts bytes). */
const STORAGE_TYPES: Record<string, StoredDType> = {
  FloatStorage: "float32",
  DoubleStorage: "float64",
  HalfStorage: "float16",
  BFloat16Storage: "bfloat16",
  LongStorage: "int64",
  IntStorage: "int32",
  ShortStorage: "int16",
  CharStorage: "int8",
  ByteStorage: "uint8",
  BoolStorage: "bool",
  UntypedStorage: "uint8",
};

class StorageRef extends PyObject {
  constructor(readonly key: string, readonly dtype: StoredDType, readonly numel: number) {
    super();
  }
}

class TensorRef extends PyObject {
  constructor(
    readonly storage: StorageRef,
    readonly offset: number,
    readonly shape: number[],
    readonly stride: number[],
  ) {
    super();
  }
}

/** Reads a zip-format `torch.save(state_dict)` file. Refuses anything but tensors (see pickle.ts for why). */
export async function loadPth(bytes: Uint8Array, fileName: string): Promise<StateDict> {
  const fail = (message: string): never => {
    throw new CheckpointError(fileName, message);
  };
  if (bytes.length >= 2 && bytes[0] === 0x80 && bytes[1] <= 5) {
    fail("legacy (pre-1.6, non-zip) torch.save format is not supported: re-save it with a current PyTorch");
  }
  const zip = readZip(bytes, fileName);
  // The root folder is "archive" in older PyTorch and the file's stem in newer ones.
  const pickles = [...zip.entries.keys()].filter((name) => /^[^/]+\/data\.pkl$/.test(name));
  if (pickles.length !== 1) {
    fail(pickles.length ? `several data.pkl entries (${pickles.join(", ")})` : "no data.pkl: not a torch.save archive");
  }
  const root = pickles[0].slice(0, -"data.pkl".length);
  const byteOrder = zip.entries.has(root + "byteorder")
    ? new TextDecoder().decode(await zip.read(root + "byteorder")).trim()
    : "little";
  if (byteOrder !== "little") fail(`byte order is ${JSON.stringify(byteOrder)}; only little-endian is supported`);

  const state = unpickle(await zip.read(root + "data.pkl"), {
    fileName,
    globals: torchGlobals(fail),
    persistentLoad: (pid) => storageRef(pid, fail),
  });
  if (!(state instanceof Map)) return fail(`data.pkl holds ${describe(state)}, not a state_dict`);

  const storages = new Map<string, Promise<Uint8Array>>();
  const out: StateDict = new Map();
  for (const [name, value] of state) {
    if (typeof name !== "string") return fail(`state_dict key ${describe(name)} is not a string`);
    if (!(value instanceof TensorRef)) return fail(`state_dict entry ${name} is ${describe(value)}, not a tensor`);
    const { storage } = value;
    const entryName = `${root}data/${storage.key}`;
    if (!zip.entries.has(entryName)) {
      fail(`tensor ${name} refers to storage ${storage.key}, but ${entryName} is missing`);
    }
    if (!storages.has(storage.key)) storages.set(storage.key, zip.read(entryName));
    const raw = await storages.get(storage.key)!;
    const size = itemSize[storage.dtype];
    if (raw.length !== storage.numel * size) {
      fail(`storage ${storage.key} has ${raw.length} bytes, but its header says ${storage.numel} × ${size}`);
    }
    const elements = gather(raw, size, value, (m) => fail(`tensor ${name}: ${m}`));
    out.set(name, { shape: value.shape, ...decodeArray(elements, storage.dtype) });
  }
  return out;
}

/** The tensor's elements in row-major order, copied out of its storage; refuses reads past the storage. */
function gather(raw: Uint8Array, size: number, t: TensorRef, fail: (m: string) => never): Uint8Array {
  const count = numel(t.shape);
  const storageLength = raw.length / size;
  if (count === 0) return new Uint8Array(0);
  let last = t.offset;
  for (let d = 0; d < t.shape.length; d++) last += (t.shape[d] - 1) * t.stride[d];
  if (last >= storageLength) {
    fail(
      `shape [${t.shape}], strides [${t.stride}] and offset ${t.offset} reach element ${last}, ` +
        `past the end of its ${storageLength}-element storage ${t.storage.key}`,
    );
  }
  // More elements than storage only happens with zero strides (broadcast views); bounded against hostile headers.
  if (count > Math.max(storageLength, 1 << 24)) fail(`${count} elements from a ${storageLength}-element storage`);
  let contiguous = true;
  for (let d = t.shape.length - 1, expect = 1; d >= 0; d--) {
    if (t.shape[d] !== 1 && t.stride[d] !== expect) contiguous = false;
    expect *= t.shape[d];
  }
  if (contiguous) return raw.slice(t.offset * size, (t.offset + count) * size);
  // Non-contiguous (e.g. a saved transpose): walk the index odometer and copy element by element.
  const out = new Uint8Array(count * size);
  const index = new Array<number>(t.shape.length).fill(0);
  let src = t.offset;
  for (let i = 0; i < count; i++) {
    out.set(raw.subarray(src * size, src * size + size), i * size);
    for (let d = t.shape.length - 1; d >= 0; d--) {
      src += t.stride[d];
      if (++index[d] < t.shape[d]) break;
      src -= t.stride[d] * t.shape[d];
      index[d] = 0;
    }
  }
  return out;
}

/** The allow-list: the constructors a state_dict pickle calls, and the storage types it names. */
function torchGlobals(fail: (m: string) => never): PyGlobal[] {
  const rebuildTensor = new PyGlobal("torch._utils", "_rebuild_tensor_v2", (args) => {
    // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
    if (args.length !== 6 && args.length !== 7) fail(`_rebuild_tensor_v2 takes 6 or 7 arguments, got ${args.length}`);
    const [storage, offset, shape, stride] = args;
    if (!(storage instanceof StorageRef)) return fail(`_rebuild_tensor_v2 storage is ${describe(storage)}`);
    const dims = intTuple(shape, "size", fail);
    const steps = intTuple(stride, "stride", fail);
    if (dims.length !== steps.length) fail(`tensor has ${dims.length} sizes but ${steps.length} strides`);
    return new TensorRef(storage, nonNegative(offset, "storage offset", fail), dims, steps);
  });
  const rebuildParameter = new PyGlobal("torch._utils", "_rebuild_parameter", (args) => {
    // (data, requires_grad, backward_hooks): a Parameter is its tensor here
    if (args.length !== 3 || !(args[0] instanceof TensorRef)) {
      return fail("_rebuild_parameter expects (tensor, bool, hooks)");
    }
    return args[0];
  });
  const orderedDict = new PyGlobal("collections", "OrderedDict", (args) => {
    if (args.length !== 0) fail("OrderedDict is only built empty (items follow as SETITEMS)");
    return new Map();
  });
  const storages = Object.keys(STORAGE_TYPES).map((name) => new PyGlobal("torch", name));
  return [orderedDict, rebuildTensor, rebuildParameter, ...storages];
}

/** A persistent id: ("storage", torch.<Type>Storage, key, location, numel). */
function storageRef(pid: PyValue, fail: (m: string) => never): StorageRef {
  if (!(pid instanceof PyTuple) || pid.items.length !== 5 || pid.items[0] !== "storage") {
    return fail(`persistent id ${describe(pid)} is not ("storage", type, key, location, numel)`);
  }
  const [, type, key, location, count] = pid.items;
  if (!(type instanceof PyGlobal) || type.module !== "torch" || !(type.name in STORAGE_TYPES)) {
    return fail(`storage type ${describe(type)} is not supported`);
  }
  if (typeof key !== "string" || typeof location !== "string") return fail("storage key and location must be strings");
  return new StorageRef(key, STORAGE_TYPES[type.name], nonNegative(count, `numel of storage ${key}`, fail));
}

function nonNegative(v: PyValue, what: string, fail: (m: string) => never): number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0 ? v : fail(`${what} is ${describe(v)}`);
}

function intTuple(v: PyValue, what: string, fail: (m: string) => never): number[] {
  if (!(v instanceof PyTuple)) return fail(`tensor ${what} is ${describe(v)}, not a tuple`);
  return v.items.map((x) => nonNegative(x, `tensor ${what} entry`, fail));
}
