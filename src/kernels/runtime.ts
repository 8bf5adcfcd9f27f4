// The WebGPU runtime: one device, a pipeline cache, a buffer pool, batched dispatches and explicit readback.
// Every kernel module in src/kernels goes through `Runtime.dispatch`; nothing else touches the command encoder.
import { loadShaders, shaderSource } from "./shaders.ts";

/** How a storage binding is used by a kernel: read-only or read-write. */
export type Access = "read" | "write";

/** A kernel = one entry point of one WGSL file, with its storage bindings and optional override constants. */
export interface KernelSpec {
  /** File name under shaders/ without `.wgsl`. */
  shader: string;
  entry: string;
  /** Storage bindings 1..n in order; binding 0 is always the `Params` uniform. */
  bindings: Access[];
  /** WGSL `override` constants: part of the pipeline cache key. */
  constants?: Record<string, number>;
}

/** A contiguous byte range of a buffer bound to one storage slot. */
export interface BufferRange {
  buffer: GPUBuffer;
  offset: number;
  size: number;
}

export type Binding = GPUBuffer | BufferRange;

export class GpuError extends Error {}

const BUFFER_USAGE = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
/** Bind offsets are aligned to this; 256 is the largest minStorageBufferOffsetAlignment WebGPU allows. */
export const BIND_ALIGN = 256;
/** Dispatches per command buffer before an automatic submit: keeps the GPU busy while we keep encoding. */
const MAX_PENDING_DISPATCHES = 512;

export class Runtime {
  readonly device: GPUDevice;
  readonly adapterName: string;
  /** Largest storage binding in bytes; kernels split their work so that no binding exceeds it. */
  maxBinding: number;
  readonly maxBufferSize: number;
  readonly maxWorkgroupsPerDim: number;
  readonly pool: BufferPool;
  /** A small buffer for bindings a kernel entry point does not read (WebGPU forbids aliasing a written buffer). */
  readonly dummy: GPUBuffer;
  /** Kernel labels in submission order since the last sync, so a validation error can name its kernel. */
  private lastKernels: string[] = [];
  private pipelines = new Map<string, GPUComputePipeline>();
  private layouts = new Map<string, GPUBindGroupLayout>();
  private uniforms = new Map<string, GPUBuffer>();
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private pending = 0;
  private errors: string[] = [];
  private compileChecks: Promise<void>[] = [];
  /** Validation errors of each submitted batch, from an error scope held open while it was encoded. */
  private batchChecks: Promise<void>[] = [];
  private lostInfo: GPUDeviceLostInfo | null = null;
  /** Uniform buffers of finished command buffers, destroyed on the next sync (they may still be in flight). */
  private retiredUniforms: GPUBuffer[] = [];

  constructor(device: GPUDevice, adapterName: string) {
    this.device = device;
    this.adapterName = adapterName;
    this.maxBinding = device.limits.maxStorageBufferBindingSize;
    this.maxBufferSize = device.limits.maxBufferSize;
    this.maxWorkgroupsPerDim = device.limits.maxComputeWorkgroupsPerDimension;
    this.pool = new BufferPool(device, BUFFER_USAGE);
    this.dummy = device.createBuffer({ size: BIND_ALIGN, usage: BUFFER_USAGE });
    device.addEventListener("uncapturederror", (ev) => {
      const e = (ev as GPUUncapturedErrorEvent).error;
      const recent = this.lastKernels.slice(-3).join(", ");
      this.errors.push(`${e.message}${recent ? ` (recent kernels: ${recent})` : ""}`);
    });
    device.lost.then((info) => {
      this.lostInfo = info;
    });
  }

  /** Throws if the device was lost: every entry point calls this so a lost device never yields silent zeros. */
  checkAlive(): void {
    if (this.lostInfo) {
      throw new GpuError(`WebGPU device lost (${this.lostInfo.reason}): ${this.lostInfo.message}`);
    }
  }

  /** Cached compute pipeline for a kernel; WGSL compile errors are collected and thrown by the next sync/read. */
  pipeline(spec: KernelSpec): { pipeline: GPUComputePipeline; layout: GPUBindGroupLayout } {
    const key = `${spec.shader}:${spec.entry}:${spec.bindings.join(",")}:${JSON.stringify(spec.constants ?? {})}`;
    let pipeline = this.pipelines.get(key);
    const layout = this.bindGroupLayout(spec.bindings);
    if (!pipeline) {
      const label = `${spec.shader}.wgsl:${spec.entry}`;
      this.device.pushErrorScope("validation");
      const module = this.device.createShaderModule({ code: shaderSource(spec.shader), label });
      pipeline = this.device.createComputePipeline({
        label,
        layout: this.device.createPipelineLayout({ bindGroupLayouts: [layout] }),
        compute: { module, entryPoint: spec.entry, constants: spec.constants },
      });
      const scope = this.device.popErrorScope();
      this.compileChecks.push(
        Promise.all([scope, module.getCompilationInfo()]).then(([err, info]) => {
          const msgs = info.messages.filter((m) => m.type === "error").map((m) => m.message.trim());
          if (err || msgs.length) {
            this.errors.push(
              `kernel ${label} failed to compile: ${msgs.join("\n") || err?.message}`,
            );
          }
        }),
      );
      this.pipelines.set(key, pipeline);
    }
    return { pipeline, layout };
  }

  private bindGroupLayout(bindings: Access[]): GPUBindGroupLayout {
    const key = bindings.join(",");
    let layout = this.layouts.get(key);
    if (!layout) {
      const entries: GPUBindGroupLayoutEntry[] = [
        { binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: "uniform" } },
        ...bindings.map((a, i) => ({
          binding: i + 1,
          visibility: GPUShaderStage.COMPUTE,
          buffer: { type: (a === "read" ? "read-only-storage" : "storage") as GPUBufferBindingType },
        })),
      ];
      layout = this.device.createBindGroupLayout({ entries });
      this.layouts.set(key, layout);
    }
    return layout;
  }

  /** Immutable uniform buffer per distinct parameter block: training steps repeat the same blocks every step. */
  private uniform(params: ArrayBuffer): GPUBuffer {
    const bytes = new Uint8Array(params);
    let key = "";
    for (let i = 0; i < bytes.length; i++) key += String.fromCharCode(bytes[i]);
    let buf = this.uniforms.get(key);
    if (!buf) {
      if (this.uniforms.size >= 8192) {
        this.retiredUniforms.push(...this.uniforms.values());
        this.uniforms.clear();
      }
      const size = Math.max(16, Math.ceil(bytes.length / 16) * 16);
      buf = this.device.createBuffer({ size, usage: GPUBufferUsage.UNIFORM, mappedAtCreation: true });
      new Uint8Array(buf.getMappedRange()).set(bytes);
      buf.unmap();
      this.uniforms.set(key, buf);
    }
    return buf;
  }

  /**
   * Opens a validation error scope for the batch this encoder records, closed in flush(): its errors come back with
   * the batch, in order. Uncaptured-error events alone arrive whenever the browser delivers them (in Chrome, often
   * after onSubmittedWorkDone), so one error could surface in a later sync().
   */
  private newEncoder(): GPUCommandEncoder {
    this.device.pushErrorScope("validation");
    return this.device.createCommandEncoder();
  }

  private computePass(): GPUComputePassEncoder {
    if (!this.encoder) this.encoder = this.newEncoder();
    if (!this.pass) this.pass = this.encoder.beginComputePass();
    return this.pass;
  }

  private commandEncoder(): GPUCommandEncoder {
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
    if (!this.encoder) this.encoder = this.newEncoder();
    return this.encoder;
  }

  /** Encodes one dispatch. `grid` is in workgroups; each dimension must be ≤ maxWorkgroupsPerDim. */
  dispatch(spec: KernelSpec, params: ArrayBuffer, bindings: Binding[], grid: [number, number?, number?]): void {
    this.checkAlive();
    const [x, y = 1, z = 1] = grid;
    if (x === 0 || y === 0 || z === 0) return;
    const lim = this.maxWorkgroupsPerDim;
    if (x > lim || y > lim || z > lim) {
      throw new GpuError(`kernel ${spec.shader}:${spec.entry}: grid ${x}×${y}×${z} exceeds ${lim} per dimension`);
    }
    if (bindings.length !== spec.bindings.length) {
      throw new GpuError(`kernel ${spec.shader}:${spec.entry}: ${bindings.length} bindings, expected ${spec.bindings.length}`);
    }
    const { pipeline, layout } = this.pipeline(spec);
    const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: { buffer: this.uniform(params) } }];
    bindings.forEach((b, i) => {
      const r = "buffer" in b ? b : { buffer: b, offset: 0, size: b.size };
      if (r.size > this.maxBinding) {
        throw new GpuError(
          `kernel ${spec.shader}:${spec.entry}: binding ${i + 1} is ${r.size} bytes, over the ${this.maxBinding}-byte limit`,
        );
      }
      entries.push({ binding: i + 1, resource: { buffer: r.buffer, offset: r.offset, size: r.size } });
    });
    const pass = this.computePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, this.device.createBindGroup({ layout, entries }));
    pass.dispatchWorkgroups(x, y, z);
    this.lastKernels.push(`${spec.shader}:${spec.entry}`);
    if (this.lastKernels.length > 64) this.lastKernels.splice(0, 32);
    if (++this.pending >= MAX_PENDING_DISPATCHES) this.flush();
  }

  /** Zero-fills a byte range (outside any compute pass). */
  clear(buffer: GPUBuffer, offset = 0, size = buffer.size - offset): void {
    this.checkAlive();
    this.commandEncoder().clearBuffer(buffer, offset, size);
  }

  copy(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, size: number): void {
    this.checkAlive();
    this.commandEncoder().copyBufferToBuffer(src, srcOffset, dst, dstOffset, size);
  }

  /** Submits everything encoded so far. Does not wait. */
  flush(): void {
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
    if (this.encoder) {
      this.device.queue.submit([this.encoder.finish()]);
      this.encoder = null;
      const recent = this.lastKernels.slice(-3).join(", ");
      this.batchChecks.push(this.device.popErrorScope().then((e) => {
        if (e) this.errors.push(`${e.message}${recent ? ` (recent kernels: ${recent})` : ""}`);
      }));
    }
    this.pending = 0;
  }

  /** Writes host data into a buffer, ordered after every dispatch encoded so far. */
  write(buffer: GPUBuffer, offset: number, data: ArrayBufferView): void {
    this.checkAlive();
    this.flush();
    this.device.queue.writeBuffer(buffer, offset, data.buffer, data.byteOffset, data.byteLength);
  }

  /** Waits for all submitted work; throws the first WebGPU error (compile, validation, out-of-memory). */
  async sync(): Promise<void> {
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
    await this.throwErrors();
    for (const b of this.retiredUniforms) b.destroy();
    this.retiredUniforms = [];
  }

  private async throwErrors(): Promise<void> {
    const checks = [...this.compileChecks, ...this.batchChecks];
    this.compileChecks = [];
    this.batchChecks = [];
    await Promise.all(checks);
    this.checkAlive();
    if (this.errors.length) {
      const msg = this.errors.join("\n");
      this.errors = [];
      throw new GpuError(`WebGPU error: ${msg}`);
    }
  }

  /** Reads `byteLength` bytes from `offset`: the only way data comes back to the CPU. */
  async read(buffer: GPUBuffer, offset = 0, byteLength = buffer.size - offset): Promise<ArrayBuffer> {
    this.checkAlive();
    const size = Math.ceil(byteLength / 4) * 4;
    const staging = this.device.createBuffer({ size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    try {
      this.commandEncoder().copyBufferToBuffer(buffer, offset, staging, 0, size);
      this.flush();
      await staging.mapAsync(GPUMapMode.READ);
      const out = staging.getMappedRange().slice(0, byteLength);
      staging.unmap();
      await this.throwErrors();
      return out;
    } finally {
      staging.destroy();
    }
  }
}

/**
 * Reuses GPU buffers by exact (256-byte rounded) size. Released buffers go back to a free list; WebGPU's queue order
 * makes reuse safe because every use is encoded in submission order on the one queue.
 */
export class BufferPool {
  private free = new Map<number, GPUBuffer[]>();
  /** Buffers handed out and not yet released. */
  liveCount = 0;
  liveBytes = 0;
  /** The most `liveBytes` has been since the pool was made or `resetPeak()` was called. */
  peakBytes = 0;
  /** Buffers held by the pool for reuse. */
  freeCount = 0;
  freeBytes = 0;

  constructor(private device: GPUDevice, private usage: number) {}

  static roundSize(bytes: number): number {
    return Math.max(BIND_ALIGN, Math.ceil(bytes / BIND_ALIGN) * BIND_ALIGN);
  }

  acquire(bytes: number): GPUBuffer {
    const size = BufferPool.roundSize(bytes);
    const list = this.free.get(size);
    let buf = list?.pop();
    if (buf) {
      this.freeCount--;
      this.freeBytes -= size;
    } else {
      if (size > this.device.limits.maxBufferSize) {
        throw new GpuError(`buffer of ${bytes} bytes exceeds the adapter's maxBufferSize ${this.device.limits.maxBufferSize}`);
      }
      buf = this.device.createBuffer({ size, usage: this.usage });
    }
    this.liveCount++;
    this.liveBytes += size;
    this.peakBytes = Math.max(this.peakBytes, this.liveBytes);
    return buf;
  }

  release(buf: GPUBuffer): void {
    const size = buf.size;
    this.liveCount--;
    this.liveBytes -= size;
    let list = this.free.get(size);
    if (!list) this.free.set(size, (list = []));
    list.push(buf);
    this.freeCount++;
    this.freeBytes += size;
  }

  /** Starts a new peak measurement from what is live now. */
  resetPeak(): void {
    this.peakBytes = this.liveBytes;
  }

  /** Destroys every pooled (not live) buffer. */
  trim(): void {
    for (const list of this.free.values()) for (const b of list) b.destroy();
    this.free.clear();
    this.freeCount = 0;
    this.freeBytes = 0;
  }
}

let current: Promise<Runtime> | null = null;

/** The shared runtime: requests the adapter (high-performance), asks for all of its limits, loads the WGSL. */
export function getRuntime(): Promise<Runtime> {
  if (!current) {
    current = (async () => {
      const gpu = (globalThis.navigator as Navigator | undefined)?.gpu;
      if (!gpu) throw new GpuError("WebGPU is not available here (navigator.gpu is undefined): use Deno or a WebGPU browser");
      const adapter = await gpu.requestAdapter({ powerPreference: "high-performance" });
      if (!adapter) throw new GpuError("no WebGPU adapter found");
      const requiredLimits: Record<string, number> = {};
      for (const k of LIMIT_NAMES) {
        const v = (adapter.limits as unknown as Record<string, number>)[k];
        if (typeof v === "number") requiredLimits[k] = v;
      }
      const device = await adapter.requestDevice({ requiredLimits });
      await loadShaders();
      const info = adapter.info;
      const name = info?.description || info?.device || info?.vendor || "unknown adapter";
      return new Runtime(device, name);
    })();
    current.catch(() => {
      current = null;
    });
  }
  return current;
}

const LIMIT_NAMES = [
  "maxStorageBufferBindingSize",
  "maxBufferSize",
  "maxComputeWorkgroupStorageSize",
  "maxComputeInvocationsPerWorkgroup",
  "maxComputeWorkgroupSizeX",
  "maxComputeWorkgroupSizeY",
  "maxComputeWorkgroupSizeZ",
  "maxComputeWorkgroupsPerDimension",
  "maxStorageBuffersPerShaderStage",
];
