// Kernel benchmark: forward, backward-input and backward-weight of the UNet's convolutions.
//   deno task bench:kernels [--json] [--batch 1,16] [--reps N] [--only conv2d|conv_transpose2d]
// Times are wall-clock around dispatch + queue completion (the GPU work really finished), median of repeats.
import {
  conv2dBackwardInput,
  conv2dBackwardWeight,
  conv2dForward,
} from "../src/kernels/conv2d.ts";
import {
  convTranspose2dBackwardInput,
  convTranspose2dBackwardWeight,
  convTranspose2dForward,
} from "../src/kernels/conv_transpose2d.ts";
import { getRuntime, type Runtime } from "../src/kernels/runtime.ts";
import { parseArgs, writeResults } from "../src/cli/args.ts";

export type Op = "conv2d" | "conv_transpose2d";
export type Pass = "forward" | "backward_input" | "backward_weight";

export interface Shape {
  op: Op;
  kernel: number;
  cin: number;
  cout: number;
  /** Input size. */
  h: number;
  w: number;
}

export interface KernelResult {
  op: Op;
  kernel: number;
  pass: Pass;
  n: number;
  cin: number;
  cout: number;
  h: number;
  w: number;
  ms: number;
  gflops: number;
}

/** The 3×3 convolutions and 2×2 transposed convolutions of UNet-3-32 (issue 2's list). */
export const UNET_SHAPES: Shape[] = [
  { op: "conv2d", kernel: 3, cin: 1, cout: 32, h: 256, w: 256 },
  { op: "conv2d", kernel: 3, cin: 32, cout: 32, h: 256, w: 256 },
  { op: "conv2d", kernel: 3, cin: 32, cout: 64, h: 128, w: 128 },
  { op: "conv2d", kernel: 3, cin: 64, cout: 64, h: 128, w: 128 },
  { op: "conv2d", kernel: 3, cin: 64, cout: 128, h: 64, w: 64 },
  { op: "conv2d", kernel: 3, cin: 128, cout: 128, h: 64, w: 64 },
  { op: "conv2d", kernel: 3, cin: 128, cout: 64, h: 128, w: 128 },
  { op: "conv2d", kernel: 3, cin: 64, cout: 32, h: 256, w: 256 },
  { op: "conv_transpose2d", kernel: 2, cin: 128, cout: 64, h: 64, w: 64 },
  { op: "conv_transpose2d", kernel: 2, cin: 64, cout: 32, h: 128, w: 128 },
];

/** Multiply-adds × 2 of one pass; the three passes of a convolution do the same arithmetic. */
export function flops(s: Shape, n: number): number {
  const taps = s.kernel * s.kernel;
  // A 2×2 stride-2 transposed conv maps each input pixel to 4 outputs, one tap each.
  return 2 * n * s.cin * s.cout * s.h * s.w * taps;
}

/** Repeats per shape: batch 16 at 256² takes seconds per pass on a 2-core CPU, so fewer there. */
export function defaultReps(s: Shape, n: number): number {
  return n * s.h * s.w >= 16 * 128 * 128 ? 3 : 5;
}

/** One result line of the table `deno task bench:kernels` prints (the browser page prints the same). */
export function formatKernelRow(r: KernelResult): string {
  return `${r.op.padEnd(18)} ${r.kernel}  ${r.pass.padEnd(15)} ${String(r.n).padStart(2)} ${String(r.cin).padStart(5)}` +
    `${String(r.cout).padStart(5)}${String(r.h).padStart(5)}${String(r.w).padStart(5)}` +
    `${r.ms.toFixed(2).padStart(10)}${r.gflops.toFixed(2).padStart(10)}`;
}

export const KERNEL_HEADER = "op                 k  pass             n   cin cout    h    w        ms   GFLOP/s";

function randomBuffer(rt: Runtime, count: number, seed: number): GPUBuffer {
  const data = new Float32Array(count);
  let x = seed;
  for (let i = 0; i < count; i++) {
    x = (x * 1664525 + 1013904223) >>> 0;
    data[i] = (x / 4294967296 - 0.5) * 0.2;
  }
  const buf = rt.pool.acquire(count * 4);
  rt.write(buf, 0, data);
  return buf;
}

/**
 * Median time of one call. Each sample runs `calls` calls back to back and then waits for the queue to drain,
 * so the GPU work is really finished while the fixed ~10 ms cost of a queue round trip is spread over the calls
 * (it would otherwise dominate the small shapes).
 */
async function timeMedian(rt: Runtime, reps: number, run: () => void): Promise<number> {
  run(); // warm-up: pipeline creation and first-touch of buffers
  await rt.sync();
  let t0 = performance.now();
  run();
  await rt.sync();
  const once = performance.now() - t0;
  const calls = Math.max(1, Math.min(20, Math.round(250 / Math.max(once, 1))));
  const times: number[] = [];
  for (let r = 0; r < reps; r++) {
    t0 = performance.now();
    for (let c = 0; c < calls; c++) run();
    await rt.sync();
    times.push((performance.now() - t0) / calls);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

export async function benchShape(rt: Runtime, s: Shape, n: number, reps: number): Promise<KernelResult[]> {
  const ho = s.op === "conv2d" ? s.h : 2 * s.h;
  const wo = s.op === "conv2d" ? s.w : 2 * s.w;
  const x = randomBuffer(rt, n * s.cin * s.h * s.w, 1);
  const dx = rt.pool.acquire(n * s.cin * s.h * s.w * 4);
  const y = rt.pool.acquire(n * s.cout * ho * wo * 4);
  const dy = randomBuffer(rt, n * s.cout * ho * wo, 2);
  const w = randomBuffer(rt, s.cin * s.cout * s.kernel * s.kernel, 3);
  const dw = rt.pool.acquire(s.cin * s.cout * s.kernel * s.kernel * 4);
  const b = randomBuffer(rt, s.cout, 4);
  const passes: [Pass, () => void][] = s.op === "conv2d"
    ? [
      ["forward", () => conv2dForward(rt, x, w, b, y, { n, cin: s.cin, cout: s.cout, h: s.h, w: s.w, k: s.kernel as 1 | 3 })],
      ["backward_input", () => conv2dBackwardInput(rt, dy, w, dx, { n, cin: s.cin, cout: s.cout, h: s.h, w: s.w, k: s.kernel as 1 | 3 })],
      ["backward_weight", () => conv2dBackwardWeight(rt, x, dy, dw, { n, cin: s.cin, cout: s.cout, h: s.h, w: s.w, k: s.kernel as 1 | 3 })],
    ]
    : [
      ["forward", () => convTranspose2dForward(rt, x, w, b, y, { n, cin: s.cin, cout: s.cout, h: s.h, w: s.w })],
      ["backward_input", () => convTranspose2dBackwardInput(rt, dy, w, dx, { n, cin: s.cin, cout: s.cout, h: s.h, w: s.w })],
      ["backward_weight", () => convTranspose2dBackwardWeight(rt, x, dy, dw, { n, cin: s.cin, cout: s.cout, h: s.h, w: s.w })],
    ];
  const out: KernelResult[] = [];
  try {
    for (const [pass, run] of passes) {
      const ms = await timeMedian(rt, reps, run);
      out.push({ ...s, pass, n, ms, gflops: flops(s, n) / (ms * 1e6) });
    }
  } finally {
    for (const buf of [x, dx, y, dy, w, dw, b]) rt.pool.release(buf);
    rt.pool.trim();
  }
  return out;
}

async function main(): Promise<void> {
  const args = parseArgs(Deno.args, { json: false, batch: "1,16", reps: "", only: "" });
  const rt = await getRuntime();
  const log = (s: string) => (args.json ? console.error(s) : console.log(s));
  log(`adapter: ${rt.adapterName}`);
  log(KERNEL_HEADER);
  const results: KernelResult[] = [];
  for (const n of String(args.batch).split(",").map(Number)) {
    for (const s of UNET_SHAPES) {
      if (args.only && s.op !== args.only) continue;
      const reps = args.reps ? Number(args.reps) : defaultReps(s, n);
      for (const r of await benchShape(rt, s, n, reps)) {
        results.push(r);
        log(formatKernelRow(r));
      }
    }
  }
  const report = { adapter: rt.adapterName, results };
  const file = await writeResults("kernels", report);
  log(`written: ${file}`);
  if (args.json) console.log(JSON.stringify(report));
}

if (import.meta.main) await main();
