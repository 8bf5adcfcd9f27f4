// Tensor = a float32 GPU buffer + a shape, plus the autograd node that produced it.
// Memory is explicit: `release()` returns the buffer to the pool; `tidy()` (autograd.ts) releases in bulk.
import { getRuntime, GpuError, type Runtime } from "../kernels/runtime.ts";

let runtime: Runtime | null = null;

/** Initialises WebGPU once; every tensor operation needs this to have resolved. */
export async function init(): Promise<Runtime> {
  runtime ??= await getRuntime();
  return runtime;
}

/** The runtime, synchronously, for code that runs after `init()`. */
export function rt(): Runtime {
  if (!runtime) throw new GpuError("crgpu is not initialised: `await init()` before creating tensors");
  return runtime;
}

/** Backward rule: given dL/d(output), the gradients for each parent (null where a parent needs none). */
export type BackwardFn = (gradOutput: Tensor) => (Tensor | null)[];

export interface Node {
  op: string;
  parents: Tensor[];
  backward: BackwardFn;
  /** Extra tensors kept only for the backward pass (statistics, argmax indices…); released with the graph. */
  saved: Tensor[];
}

/** A pooled buffer shared by a tensor and its views; returned to the pool when the last one is released. */
export interface Storage {
  buffer: GPUBuffer;
  refs: number;
}

type Scope = Set<Tensor>;
const scopes: Scope[] = [];
let nextId = 1;

export class Tensor {
  readonly id = nextId++;
  readonly shape: readonly number[];
  readonly size: number;
  private storage: Storage | null;
  /** True for parameters and inputs we differentiate with respect to. */
  requiresGrad: boolean;
  /** Accumulated gradient of a leaf that requires grad. */
  grad: Tensor | null = null;
  node: Node | null = null;
  /** Optional name (module parameters carry their state_dict key). */
  name = "";

  /** Wraps a pooled buffer (or shares another tensor's storage, see `reshape`). */
  constructor(buffer: GPUBuffer | Storage, shape: readonly number[], requiresGrad = false) {
    this.storage = "refs" in buffer ? buffer : { buffer, refs: 1 };
    this.shape = [...shape];
    this.size = shapeSize(shape);
    this.requiresGrad = requiresGrad;
    scopes.at(-1)?.add(this);
  }

  /** Uninitialised tensor from the buffer pool. */
  static empty(shape: readonly number[], requiresGrad = false): Tensor {
    return new Tensor(rt().pool.acquire(shapeSize(shape) * 4), shape, requiresGrad);
  }

  static zeros(shape: readonly number[], requiresGrad = false): Tensor {
    const t = Tensor.empty(shape, requiresGrad);
    rt().clear(t.buffer);
    return t;
  }

  static fromArray(data: ArrayLike<number>, shape: readonly number[], requiresGrad = false): Tensor {
    const n = shapeSize(shape);
    if (data.length !== n) throw new RangeError(`fromArray: ${data.length} values for shape [${shape}] (${n})`);
    const t = Tensor.empty(shape, requiresGrad);
    rt().write(t.buffer, 0, data instanceof Float32Array ? data : Float32Array.from(data));
    return t;
  }

  static full(shape: readonly number[], value: number, requiresGrad = false): Tensor {
    return Tensor.fromArray(new Float32Array(shapeSize(shape)).fill(value), shape, requiresGrad);
  }

  get buffer(): GPUBuffer {
    if (!this.storage) throw new GpuError(`tensor #${this.id} [${this.shape}]${this.name ? ` (${this.name})` : ""} was released`);
    return this.storage.buffer;
  }

  get released(): boolean {
    return this.storage === null;
  }

  /** Copies the values back to the CPU (waits for the GPU). */
  async read(): Promise<Float32Array> {
    return new Float32Array(await rt().read(this.buffer, 0, this.size * 4));
  }

  /** Returns the buffer to the pool and drops the autograd node. Safe to call twice. */
  release(): void {
    if (this.storage) {
      if (--this.storage.refs === 0) rt().pool.release(this.storage.buffer);
      this.storage = null;
    }
    this.releaseNode();
    scopes.at(-1)?.delete(this);
  }

  /** Frees what only the backward pass needed, keeping the value. */
  releaseNode(): void {
    if (this.node) {
      for (const s of this.node.saved) s.release();
      this.node = null;
    }
  }

  /** Takes the tensor out of the enclosing `tidy` so it survives it. */
  keep(): this {
    for (const s of scopes) s.delete(this);
    return this;
  }

  /** A view with a new shape (same element count) sharing this storage; each view is released on its own.
   * No autograd: use the `reshape` op for that. */
  view(shape: readonly number[]): Tensor {
    if (shapeSize(shape) !== this.size) throw new RangeError(`view [${this.shape}] → [${shape}]: sizes differ`);
    const storage = this.storage;
    if (!storage) throw new GpuError(`tensor #${this.id} was released`);
    storage.refs++;
    return new Tensor(storage, shape, false);
  }
}

export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new RangeError(`bad shape [${shape}]`);
    n *= d;
  }
  return n;
}

/** Runs `fn` and releases every tensor it created, except those it returns and those kept with `keep()`. */
export function tidy<T>(fn: () => T): T {
  const scope: Scope = new Set();
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } finally {
    scopes.pop();
  }
  const keepSet = new Set<Tensor>();
  collectTensors(result, keepSet);
  for (const t of scope) if (!keepSet.has(t)) t.release();
  // Returned tensors belong to the enclosing scope now.
  for (const t of keepSet) if (scope.has(t)) scopes.at(-1)?.add(t);
  return result;
}

function collectTensors(v: unknown, out: Set<Tensor>): void {
  if (v instanceof Tensor) out.add(v);
  else if (Array.isArray(v)) for (const x of v) collectTensors(x, out);
  else if (v && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
    for (const x of Object.values(v)) collectTensors(x, out);
  }
}
