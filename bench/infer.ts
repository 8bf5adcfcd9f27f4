// Inference benchmark: eval-mode forward of the paper's four UNets plus reading the probabilities back, in megapixels
// per second, beside the alternatives measured on this machine.
//   deno task bench:infer [--json] [--variants deepcr,att-deepcr,cosmic-conn,att-cosmic-conn] [--sizes 256,1024]
//     [--reps N]
// Random weights (speed does not depend on them). Each size runs once to warm up (pipelines, pool buffers), then
// `reps` timed runs; the median is reported, and the fastest run (the least disturbed by other processes on a shared
// machine).
import { parseArgs, writeResults } from "../src/cli/args.ts";
import { noGrad } from "../src/nn/autograd.ts";
import { createVariant, VARIANTS, type VariantName } from "../src/nn/modules/unet.ts";
import { init, Tensor, tidy } from "../src/nn/tensor.ts";

/** Other runtimes on this machine (2 CPU cores), MP/s at 256² and 1024²; null where they fail. */
export const ALTERNATIVES: { name: string; mps: Record<number, number | null>; note: string }[] = [
  { name: "PyTorch CPU", mps: { 256: 0.32, 1024: 0.107 }, note: "" },
  { name: "ONNX Runtime Web wasm", mps: { 256: 0.12, 1024: 0.13 }, note: "" },
  { name: "ONNX Runtime Web WebGPU", mps: { 256: 0.026, 1024: null }, note: "crashes at 1024²" },
  { name: "tfjs-webgpu", mps: { 256: 0.024, 1024: null }, note: "wrong output at 1024²" },
];

export interface InferResult {
  variant: VariantName;
  size: number;
  /** Median seconds of forward + read-back. */
  seconds: number;
  mps: number;
  /** Megapixels per second of the fastest run. */
  bestMps: number;
  runs: number[];
  /** Pool bytes live at the end of the forward pass (every intermediate still held). */
  peakLiveBytes: number;
}

/** Seconds of one forward + read-back, and the pool bytes live at the end of the forward pass. */
export async function timeOnce(
  model: ReturnType<typeof createVariant>,
  input: Float32Array,
  size: number,
): Promise<[number, number]> {
  const pool = (await init()).pool;
  let peak = 0;
  const t0 = performance.now();
  const out = tidy(() =>
    noGrad(() => {
      const y = model.forward(Tensor.fromArray(input, [1, 1, size, size]));
      peak = pool.liveBytes;
      return y;
    })
  );
  await out.read();
  out.release();
  return [(performance.now() - t0) / 1000, peak];
}

/** The benchmark's input: a smooth background with sharp spikes (the values do not change the speed). */
export function testImage(size: number): Float32Array {
  const input = new Float32Array(size * size);
  for (let i = 0; i < input.length; i++) input[i] = 100 + 10 * Math.sin(i * 0.37) + (i % 97 === 0 ? 500 : 0);
  return input;
}

/** One warm-up run, then `reps` timed runs of one variant at one size. */
export async function benchInfer(
  model: ReturnType<typeof createVariant>,
  variant: VariantName,
  size: number,
  reps: number,
): Promise<InferResult> {
  const input = testImage(size);
  await timeOnce(model, input, size); // warm-up
  const runs: number[] = [];
  let peakLiveBytes = 0;
  for (let r = 0; r < reps; r++) {
    const [s, peak] = await timeOnce(model, input, size);
    runs.push(s);
    peakLiveBytes = Math.max(peakLiveBytes, peak);
  }
  const sorted = [...runs].sort((a, b) => a - b);
  const seconds = sorted[Math.floor(sorted.length / 2)];
  const mp = (size * size) / 1e6;
  return { variant, size, seconds, mps: mp / seconds, bestMps: mp / sorted[0], runs, peakLiveBytes };
}

export const INFER_HEADER =
  "variant            size   median s     MP/s  best MP/s   runs (s)                     peak live MiB";

export function formatInferRow(r: InferResult): string {
  return `${r.variant.padEnd(17)} ${String(r.size).padStart(5)} ${r.seconds.toFixed(3).padStart(10)} ` +
    `${r.mps.toFixed(3).padStart(8)} ${r.bestMps.toFixed(3).padStart(10)}   ` +
    `${r.runs.map((t) => t.toFixed(2)).join(" ").padEnd(28)} ` +
    `${(r.peakLiveBytes / 2 ** 20).toFixed(0).padStart(8)}`;
}

/** Default timed runs per size. */
export function defaultInferReps(size: number): number {
  return size >= 1024 ? 3 : 5;
}

async function main(): Promise<void> {
  const args = parseArgs(Deno.args, {
    json: false,
    variants: "deepcr,att-deepcr,cosmic-conn,att-cosmic-conn",
    sizes: "256,1024",
    reps: "",
  });
  const log = (s: string) => (args.json ? console.error(s) : console.log(s));
  const variants = String(args.variants).split(",").map((v) => v.trim());
  for (const v of variants) {
    if (!(v in VARIANTS)) throw new Error(`unknown variant "${v}" (known: ${Object.keys(VARIANTS).join(", ")})`);
  }
  const sizes = String(args.sizes).split(",").map(Number);
  for (const s of sizes) {
    if (!Number.isInteger(s) || s < 4 || s % 4) throw new Error(`size ${s}: a multiple of 4 is needed`);
  }
  const rt = await init();
  log(`adapter: ${rt.adapterName}`);
  log(INFER_HEADER);
  const results: InferResult[] = [];
  for (const variant of variants as VariantName[]) {
    const model = createVariant(variant, 1).eval();
    for (const size of sizes) {
      const reps = args.reps ? Number(args.reps) : defaultInferReps(size);
      const result = await benchInfer(model, variant, size, reps);
      results.push(result);
      log(formatInferRow(result));
    }
    model.release();
    rt.pool.trim();
  }
  log("\nMP/s on this machine (ours: median over the variants above, of their median and of their fastest runs)");
  log(`${"runtime".padEnd(26)}${sizes.map((s) => `${s}²`.padStart(10)).join("")}`);
  const middle = (values: number[]) => values.sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)];
  for (const [label, key] of [["crgpu WebGPU, median", "mps"], ["crgpu WebGPU, fastest", "bestMps"]] as const) {
    const cells = sizes.map((s) => middle(results.filter((r) => r.size === s).map((r) => r[key])));
    log(`${label.padEnd(26)}${cells.map((m) => m.toFixed(3).padStart(10)).join("")}`);
  }
  for (const alt of ALTERNATIVES) {
    const values = sizes.map((s) => alt.mps[s]);
    const cells = values.map((v) => (v === undefined ? "–" : v === null ? "fails" : v.toFixed(3)).padStart(10));
    log(`${alt.name.padEnd(26)}${cells.join("")}${values.includes(null) ? `   (${alt.note})` : ""}`);
  }
  const report = { adapter: rt.adapterName, results, alternatives: ALTERNATIVES };
  const file = await writeResults("infer", report);
  log(`written: ${file}`);
  if (args.json) console.log(JSON.stringify(report));
}

if (import.meta.main) await main();
