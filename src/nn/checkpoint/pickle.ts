// A restricted unpickler: it understands only the opcodes that torch.save state_dicts use, and it resolves
// globals only from a caller-supplied allow-list. Nothing is imported or executed: REDUCE calls an allow-listed
// JavaScript constructor, and anything else — an unknown opcode or global — is refused with an error.
import { CheckpointError } from "./types.ts";

/** Hashable Python values usable as dict keys here. */
export type PyKey = string | number | bigint | boolean | null;

/** The values this unpickler can produce. Lists are arrays; dicts and OrderedDicts are Maps. */
export type PyValue = PyKey | PyValue[] | PyTuple | Map<PyKey, PyValue> | PyGlobal | PyObject;

export class PyTuple {
  constructor(readonly items: readonly PyValue[]) {}
}

/** Base class for what allow-listed constructors return (storages, tensors). */
export abstract class PyObject {}

/** An allow-listed global. Without `call`, it can be passed around (e.g. a storage type) but not called. */
export class PyGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
    readonly call?: (args: readonly PyValue[]) => PyValue,
  ) {}
}

export interface UnpickleOptions {
  /** Named in every error. */
  fileName: string;
  /** The only globals GLOBAL/STACK_GLOBAL may name. */
  globals: readonly PyGlobal[];
  /** Resolves BINPERSID ids (torch: storages); without it, BINPERSID is refused. */
  persistentLoad?: (pid: PyValue) => PyValue;
}

/** The opcodes understood here (Python's Lib/pickle.py names them the same). */
// deno-fmt-ignore
const OP = {
  PROTO: 0x80, FRAME: 0x95, STOP: 0x2e, MARK: 0x28, EMPTY_DICT: 0x7d, EMPTY_LIST: 0x5d, EMPTY_TUPLE: 0x29,
  TUPLE: 0x74, TUPLE1: 0x85, TUPLE2: 0x86, TUPLE3: 0x87, BINPUT: 0x71, LONG_BINPUT: 0x72, MEMOIZE: 0x94,
  BINGET: 0x68, LONG_BINGET: 0x6a, SHORT_BINUNICODE: 0x8c, BINUNICODE: 0x58, BINUNICODE8: 0x8d,
  SHORT_BINSTRING: 0x55, BINSTRING: 0x54, BININT: 0x4a, BININT1: 0x4b, BININT2: 0x4d, LONG1: 0x8a, NEWTRUE: 0x88,
  NEWFALSE: 0x89, NONE: 0x4e, BINFLOAT: 0x47, SETITEM: 0x73, SETITEMS: 0x75, APPEND: 0x61, APPENDS: 0x65,
  GLOBAL: 0x63, STACK_GLOBAL: 0x93, REDUCE: 0x52, BUILD: 0x62, BINPERSID: 0x51,
} as const;
const OPCODE_NAMES = new Map<number, string>(Object.entries(OP).map(([name, code]) => [code, name]));

/** Unpickles `bytes` (protocol ≤ 5) and returns the object before STOP. */
export function unpickle(bytes: Uint8Array, options: UnpickleOptions): PyValue {
  const { fileName } = options;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const utf8 = new TextDecoder("utf-8", { fatal: true });
  const stack: PyValue[] = [];
  const marks: number[] = [];
  const memo = new Map<number, PyValue>();
  let pos = 0;
  let opAt = 0;
  let opName = "";

  const fail = (message: string): never => {
    throw new CheckpointError(fileName, `pickle ${opName ? `${opName} at byte ${opAt}` : `byte ${opAt}`}: ${message}`);
  };
  const take = (n: number): number => {
    if (n < 0 || pos + n > bytes.length) fail("the pickle is truncated");
    const at = pos;
    pos += n;
    return at;
  };
  const pop = (): PyValue => (stack.length > (marks.at(-1) ?? 0) ? stack.pop() as PyValue : fail("stack underflow"));
  const top = (): PyValue => (stack.length > (marks.at(-1) ?? 0) ? stack[stack.length - 1] : fail("stack underflow"));
  const popMark = (): PyValue[] => {
    const mark = marks.pop() ?? fail("no MARK on the stack");
    return stack.splice(mark);
  };
  const text = (n: number): string => {
    const at = take(n);
    try {
      return utf8.decode(bytes.subarray(at, at + n));
    } catch {
      return fail("string is not valid UTF-8");
    }
  };
  const latin1 = (n: number): string => {
    const at = take(n);
    let s = "";
    for (let i = at; i < at + n; i += 4096) s += String.fromCharCode(...bytes.subarray(i, Math.min(at + n, i + 4096)));
    return s;
  };
  const line = (): string => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) fail("the pickle is truncated (no newline)");
    const s = latin1(end - pos);
    take(1);
    return s;
  };
  const get = (
    index: number,
  ): PyValue => (memo.has(index) ? memo.get(index) as PyValue : fail(`memo ${index} is unset`));
  const resolve = (module: string, name: string): PyGlobal => {
    const found = options.globals.find((g) => g.module === module && g.name === name);
    if (found) return found;
    const allowed = options.globals.map((g) => `${g.module}.${g.name}`).join(", ");
    return fail(`refusing global ${module}.${name}: only ${allowed} are allowed`);
  };
  const asDict = (target: PyValue): Map<PyKey, PyValue> =>
    target instanceof Map ? target : fail(`target is ${describe(target)}, not a dict`);
  const asKey = (key: PyValue): PyKey => isKey(key) ? key : fail(`dict key ${describe(key)} is not supported`);
  const asList = (target: PyValue): PyValue[] =>
    Array.isArray(target) ? target : fail(`target is ${describe(target)}, not a list`);

  for (;;) {
    opAt = pos;
    opName = "";
    const op = bytes[take(1)];
    opName = OPCODE_NAMES.get(op) ?? "";
    switch (op) {
      case OP.PROTO: {
        const version = bytes[take(1)];
        if (version > 5) fail(`protocol ${version} is newer than 5`);
        break;
      }
      // the whole pickle is in memory, so framing changes nothing
      case OP.FRAME:
        take(8);
        break;
      case OP.STOP: {
        const result = pop();
        if (stack.length !== 0 || marks.length !== 0) fail("values left on the stack");
        return result;
      }
      case OP.MARK:
        marks.push(stack.length);
        break;
      case OP.EMPTY_DICT:
        stack.push(new Map());
        break;
      case OP.EMPTY_LIST:
        stack.push([]);
        break;
      case OP.EMPTY_TUPLE:
        stack.push(new PyTuple([]));
        break;
      case OP.TUPLE:
        stack.push(new PyTuple(popMark()));
        break;
      case OP.TUPLE1:
        stack.push(new PyTuple([pop()]));
        break;
      case OP.TUPLE2: {
        const b = pop();
        stack.push(new PyTuple([pop(), b]));
        break;
      }
      case OP.TUPLE3: {
        const c = pop();
        const b = pop();
        stack.push(new PyTuple([pop(), b, c]));
        break;
      }
      case OP.BINPUT:
        memo.set(bytes[take(1)], top());
        break;
      case OP.LONG_BINPUT:
        memo.set(view.getUint32(take(4), true), top());
        break;
      case OP.MEMOIZE:
        memo.set(memo.size, top());
        break;
      case OP.BINGET:
        stack.push(get(bytes[take(1)]));
        break;
      case OP.LONG_BINGET:
        stack.push(get(view.getUint32(take(4), true)));
        break;
      case OP.SHORT_BINUNICODE:
        stack.push(text(bytes[take(1)]));
        break;
      case OP.BINUNICODE:
        stack.push(text(view.getUint32(take(4), true)));
        break;
      case OP.BINUNICODE8:
        stack.push(text(safeLength(view.getBigUint64(take(8), true), fail)));
        break;
      // Python 2 str, read as latin-1
      case OP.SHORT_BINSTRING:
        stack.push(latin1(bytes[take(1)]));
        break;
      case OP.BINSTRING:
        stack.push(latin1(view.getInt32(take(4), true)));
        break;
      case OP.BININT:
        stack.push(view.getInt32(take(4), true));
        break;
      case OP.BININT1:
        stack.push(bytes[take(1)]);
        break;
      case OP.BININT2:
        stack.push(view.getUint16(take(2), true));
        break;
      case OP.LONG1: { // little-endian two's complement of n bytes
        const n = bytes[take(1)];
        stack.push(littleEndianInt(bytes.subarray(take(n), pos)));
        break;
      }
      case OP.NEWTRUE:
        stack.push(true);
        break;
      case OP.NEWFALSE:
        stack.push(false);
        break;
      case OP.NONE:
        stack.push(null);
        break;
      // the only big-endian number in the format
      case OP.BINFLOAT:
        stack.push(view.getFloat64(take(8), false));
        break;
      case OP.SETITEM: {
        const value = pop();
        const key = asKey(pop());
        asDict(top()).set(key, value);
        break;
      }
      case OP.SETITEMS: {
        const items = popMark();
        if (items.length % 2 !== 0) fail("odd number of items");
        const dict = asDict(top());
        for (let i = 0; i < items.length; i += 2) dict.set(asKey(items[i]), items[i + 1]);
        break;
      }
      case OP.APPEND: {
        const value = pop();
        asList(top()).push(value);
        break;
      }
      case OP.APPENDS: {
        const items = popMark();
        const list = asList(top());
        for (const item of items) list.push(item); // not push(...items): a long list would overflow the call stack
        break;
      }
      case OP.GLOBAL: { // "module\nname\n"
        const module = line();
        stack.push(resolve(module, line()));
        break;
      }
      case OP.STACK_GLOBAL: {
        const name = pop();
        const module = pop();
        if (typeof module !== "string" || typeof name !== "string") fail("module and name must be strings");
        stack.push(resolve(module as string, name as string));
        break;
      }
      case OP.REDUCE: { // callable(*args), for allow-listed callables only
        const args = pop();
        const callable = pop();
        if (!(callable instanceof PyGlobal)) return fail(`cannot call ${describe(callable)}`);
        if (!callable.call) return fail(`${callable.module}.${callable.name} may not be called`);
        if (!(args instanceof PyTuple)) return fail(`arguments are ${describe(args)}, not a tuple`);
        stack.push(callable.call(args.items));
        break;
      }
      case OP.BUILD: { // only an OrderedDict's attribute dict (torch stores `_metadata` there); dropped
        const state = pop();
        if (!(top() instanceof Map) || !(state instanceof Map)) {
          fail(`BUILD of ${describe(top())} from ${describe(state)}: only a dict's attributes are accepted`);
        }
        break;
      }
      case OP.BINPERSID: {
        const load = options.persistentLoad ?? fail("persistent ids are not expected here");
        stack.push(load(pop()));
        break;
      }
      default:
        opName = "";
        return fail(
          `opcode 0x${op.toString(16).padStart(2, "0")} (${JSON.stringify(String.fromCharCode(op))}) is not ` +
            "supported by this restricted unpickler",
        );
    }
  }
}

function isKey(v: PyValue): v is PyKey {
  return v === null || ["string", "number", "bigint", "boolean"].includes(typeof v);
}

function safeLength(n: bigint, fail: (m: string) => never): number {
  return n > BigInt(Number.MAX_SAFE_INTEGER) ? fail("string length is too large") : Number(n);
}

/** Two's-complement little-endian bytes → number when exactly representable, else bigint. */
function littleEndianInt(b: Uint8Array): number | bigint {
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
  if (b.length > 0 && b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/** A short description of a value for error messages. */
export function describe(v: PyValue): string {
  if (v instanceof PyTuple) return `a tuple of ${v.items.length}`;
  if (v instanceof Map) return "a dict";
  if (v instanceof PyGlobal) return `${v.module}.${v.name}`;
  if (v instanceof PyObject) return `a ${v.constructor.name}`;
  if (Array.isArray(v)) return "a list";
  if (typeof v === "string") return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + "…" : v)}`;
  return v === null ? "None" : `${typeof v} ${String(v)}`;
}
