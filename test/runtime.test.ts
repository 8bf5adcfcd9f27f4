import { beforeAll, describe, expect, it } from "vitest";
import { unary } from "../src/kernels/elementwise.ts";
import { Params } from "../src/kernels/params.ts";
import { bindElems, chunks, grid1d } from "../src/kernels/ranges.ts";
import { BufferPool, GpuError, Runtime } from "../src/kernels/runtime.ts";
import { registerShaders } from "../src/kernels/shaders.ts";
import { Tensor } from "../src/nn/tensor.ts";
import { gpu } from "./helpers.ts";

let rt: Runtime;
beforeAll(async () => {
  rt = await gpu();
});

describe("runtime", () => {
  it("requests the adapter's storage-binding limit and names the adapter", () => {
    expect(rt.maxBinding).toBeGreaterThanOrEqual(128 * 1024 * 1024);
    expect(rt.adapterName.length).toBeGreaterThan(0);
  });

  it("caches pipelines by shader, entry and constants", () => {
    const spec = { shader: "elementwise", entry: "relu", bindings: ["read", "read", "write"] as const };
    const a = rt.pipeline({ ...spec, bindings: [...spec.bindings] }).pipeline;
    const b = rt.pipeline({ ...spec, bindings: [...spec.bindings] }).pipeline;
    const c = rt.pipeline({ ...spec, bindings: [...spec.bindings], constants: { WG: 64 } }).pipeline;
    expect(a).toBe(b);
    expect(c).not.toBe(a);
  });

  it("reports a WGSL compile error naming the kernel", async () => {
    registerShaders({ broken_for_test: "@compute @workgroup_size(1) fn main() { let x: u32 = ; }" });
    rt.dispatch({ shader: "broken_for_test", entry: "main", bindings: [] }, new Params().bytes(), [], [1]);
    await expect(rt.sync()).rejects.toThrow(/broken_for_test\.wgsl:main/);
    await rt.sync(); // the error is reported once, then the runtime works again
  });

  it("refuses a binding over the limit instead of computing garbage", () => {
    const saved = rt.maxBinding;
    const buf = rt.pool.acquire(4096);
    const out = rt.pool.acquire(4096);
    rt.maxBinding = 1024;
    try {
      expect(() => unary(rt, "relu", buf, out, 4096 / 4)).not.toThrow(); // split into 5 chunks
      expect(() =>
        rt.dispatch({ shader: "elementwise", entry: "relu", bindings: ["read", "read", "write"] }, new Params().bytes(), [
          buf,
          rt.dummy,
          out,
        ], [1])
      ).toThrow(/over the 1024-byte limit/);
    } finally {
      rt.maxBinding = saved;
      rt.pool.release(buf);
      rt.pool.release(out);
    }
  });

  it("reads back only on request, in order after queued work", async () => {
    const t = Tensor.fromArray([1, -2, 3], [3]);
    const y = Tensor.empty([3]);
    const z = Tensor.empty([3]);
    unary(rt, "scale", t.buffer, y.buffer, 3, 2);
    unary(rt, "relu", y.buffer, z.buffer, 3); // depends on the dispatch before it in the same pass
    expect(Array.from(await z.read())).toEqual([2, 0, 6]);
    for (const x of [t, y, z]) x.release();
  });

  it("pool reuses released buffers of the same size", () => {
    const pool = rt.pool;
    const a = pool.acquire(1000);
    const live = pool.liveCount;
    pool.release(a);
    const b = pool.acquire(1000);
    expect(b).toBe(a);
    expect(pool.liveCount).toBe(live);
    expect(BufferPool.roundSize(1000)).toBe(1024);
    pool.release(b);
  });

  it("aligns bind offsets down to 256 bytes with an element base", () => {
    const buf = rt.pool.acquire(4096);
    const b = bindElems(buf, 70, 10);
    expect(b.binding.offset).toBe(256);
    expect(b.base).toBe(6);
    expect(b.binding.size).toBe(80 * 4 - 256);
    rt.pool.release(buf);
    expect(chunks(10, 4)).toEqual([[0, 4], [4, 4], [8, 2]]);
    expect(grid1d(rt, 65535 * 256 + 1, 256)).toEqual([65535, 2]);
  });

  it("surfaces device loss as a clear error on the next operation", async () => {
    const adapter = await navigator.gpu.requestAdapter();
    const device = await adapter!.requestDevice();
    const lost = new Runtime(device, "test");
    device.destroy();
    await device.lost;
    expect(() => lost.pool.acquire(16) && lost.checkAlive()).toThrow(GpuError);
    expect(() => lost.checkAlive()).toThrow(/device lost/);
  });
});
