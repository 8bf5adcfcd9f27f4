// The benchmark page (dist/bench.html): kernel GFLOP/s, UNet inference MP/s and training-step patches/s in this
// browser's WebGPU, measured by the same code as `deno task bench:kernels`, `bench:infer` and `bench:train`. Shows a
// table and a bar chart per suite and offers the JSON for download. Options come from the form or the query string:
//   ?suites=kernels,infer,train  ?quick (small settings for CPU adapters)  ?budget=S (seconds per suite; items not
//   started by then are skipped and listed)  ?auto (run on load)  ?batch=1,16 ?reps=N  ?variants=… ?sizes=256,1024
//   ?infer_reps=N  ?train_variants=… ?train_batch=16 ?train_patch=256 ?train_reps=2
// bench/browser/run.ts opens it headless and collects the reports through `crgpuBenchDone`.
import "../../src/browser.ts"; // registers the embedded WGSL
import { getRuntime } from "../../src/kernels/runtime.ts";
import { createVariant, VARIANTS, type VariantName } from "../../src/nn/modules/unet.ts";
import { init } from "../../src/nn/tensor.ts";
import { ALTERNATIVES, benchInfer, defaultInferReps, type InferResult } from "../infer.ts";
import { benchShape, defaultReps, formatKernelRow, KERNEL_HEADER, type KernelResult, UNET_SHAPES } from "../kernels.ts";
import { barChart, table } from "./chart.ts";
import { benchTrainStep, type TrainResult } from "../train_step.ts";

type Suite = "kernels" | "infer" | "train";
const SUITES: Suite[] = ["kernels", "infer", "train"];

export interface BenchOptions {
  suites: Suite[];
  quick: boolean;
  /** Seconds per suite: items not started by then are skipped; null = no limit. */
  budget: number | null;
  batch: number[];
  reps: number | null;
  variants: VariantName[];
  sizes: number[];
  inferReps: number | null;
  trainVariants: VariantName[];
  trainBatch: number;
  trainPatch: number;
  trainReps: number;
}

export interface SuiteReport {
  suite: Suite;
  adapter: string;
  browser: string;
  options: BenchOptions;
  results: (KernelResult | InferResult | TrainResult)[];
  /** Items not run because the budget ran out. */
  skipped: string[];
  error?: string;
  seconds: number;
  alternatives?: typeof ALTERNATIVES;
}

interface Hooks {
  crgpuBenchDone?: (reports: SuiteReport[]) => Promise<void>;
  crgpuBenchLog?: (line: string) => Promise<void>;
}
const hooks = globalThis as Hooks;

const ALL_VARIANTS = ["deepcr", "att-deepcr", "cosmic-conn", "att-cosmic-conn"] as VariantName[];

/**
 * Defaults: the Deno benchmarks' settings, or with `quick` ones a CPU adapter gets through in minutes. SwiftShader
 * (Chrome's CPU WebGPU) runs these kernels at ~1 GFLOP/s, so quick drops batch 16, 1024² inference (minutes per
 * run) and trains on batch 2 × 64² patches (speed is reported per 256²-patch too).
 */
export function defaults(quick: boolean): BenchOptions {
  return {
    suites: [...SUITES],
    quick,
    budget: null,
    batch: quick ? [1] : [1, 16],
    reps: quick ? 1 : null,
    variants: [...ALL_VARIANTS],
    sizes: quick ? [256] : [256, 1024],
    inferReps: quick ? 1 : null,
    trainVariants: [...ALL_VARIANTS],
    trainBatch: quick ? 2 : 16,
    trainPatch: quick ? 64 : 256,
    trainReps: quick ? 1 : 2,
  };
}

const ints = (s: string, what: string) =>
  s.split(",").map((v) => {
    const n = Number(v.trim());
    if (!Number.isInteger(n) || n < 1) throw new Error(`${what}: '${v}' is not a positive integer`);
    return n;
  });

function variantList(s: string, what: string): VariantName[] {
  const list = s.split(",").map((v) => v.trim()).filter(Boolean);
  for (const v of list) if (!(v in VARIANTS)) throw new Error(`${what}: unknown variant '${v}'`);
  return list as VariantName[];
}

/** Options from `key=value` pairs (the query string or the form); unknown keys are an error. */
export function parseOptions(params: URLSearchParams): BenchOptions {
  const o = defaults(params.has("quick") && params.get("quick") !== "0");
  for (const [k, v] of params) {
    switch (k) {
      case "quick":
      case "auto":
        break;
      case "suites":
        o.suites = v.split(",").map((s) => s.trim()).filter(Boolean) as Suite[];
        for (const s of o.suites) if (!SUITES.includes(s)) throw new Error(`suites: unknown suite '${s}'`);
        break;
      case "budget":
        o.budget = v === "" ? null : Number(v);
        if (o.budget !== null && !(o.budget > 0)) throw new Error(`budget: '${v}' is not a positive number`);
        break;
      case "batch":
        o.batch = ints(v, k);
        break;
      case "reps":
        o.reps = v === "" ? null : ints(v, k)[0];
        break;
      case "variants":
        o.variants = variantList(v, k);
        break;
      case "sizes":
        o.sizes = ints(v, k);
        for (const s of o.sizes) if (s % 4) throw new Error(`sizes: ${s} is not a multiple of 4`);
        break;
      case "infer_reps":
        o.inferReps = v === "" ? null : ints(v, k)[0];
        break;
      case "train_variants":
        o.trainVariants = variantList(v, k);
        break;
      case "train_batch":
        o.trainBatch = ints(v, k)[0];
        break;
      case "train_patch":
        o.trainPatch = ints(v, k)[0];
        if (o.trainPatch % 4) throw new Error(`train_patch: ${o.trainPatch} is not a multiple of 4`);
        break;
      case "train_reps":
        o.trainReps = ints(v, k)[0];
        break;
      default:
        throw new Error(`unknown option '${k}'`);
    }
  }
  return o;
}

// ---- page ----

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

function log(line: string): void {
  const el = $("log");
  el.textContent += line + "\n";
  el.scrollTop = el.scrollHeight;
  void hooks.crgpuBenchLog?.(line);
}

function download(name: string, text: string): void {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(new Blob([text], { type: "application/json" }));
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

const shapeLabel = (r: KernelResult) =>
  `${r.op === "conv2d" ? "conv" : "convT"} ${r.cin}→${r.cout} ${r.h}² n${r.n}`;

function renderKernels(rep: SuiteReport): string {
  const rs = rep.results as KernelResult[];
  const rows = rs.map((r) => [r.op, r.kernel, r.pass, r.n, r.cin, r.cout, `${r.h}×${r.w}`, r.ms, r.gflops]);
  const bars = rs.map((r) => ({ label: shapeLabel(r), value: r.gflops, group: r.pass }));
  return table(["op", "k", "pass", "n", "cin", "cout", "input", "ms", "GFLOP/s"], rows) +
    barChart(bars, "GFLOP/s", "Convolutions of UNet-3-32: GFLOP/s per pass");
}

function renderInfer(rep: SuiteReport): string {
  const rs = rep.results as InferResult[];
  const rows = rs.map((r) => [r.variant, `${r.size}²`, r.seconds, r.mps, r.bestMps, r.peakLiveBytes / 2 ** 20]);
  const bars = rs.map((r) => ({ label: `${r.variant} ${r.size}²`, value: r.mps, group: `${r.size}²` }));
  const alt = ALTERNATIVES.map((a) => [a.name, ...rep.options.sizes.map((s) => a.mps[s] ?? (a.mps[s] === null ? "fails" : "–"))]);
  return table(["variant", "size", "median s", "MP/s", "best MP/s", "peak live MiB"], rows) +
    barChart(bars, "megapixels / s", "UNet inference (forward + read-back)") +
    `<p>Other runtimes measured on the development machine (2 CPU cores), MP/s:</p>` +
    table(["runtime", ...rep.options.sizes.map((s) => `${s}²`)], alt as (string | number)[][]);
}

function renderTrain(rep: SuiteReport): string {
  const rs = rep.results as TrainResult[];
  const rows = rs.map((r) => [r.variant, r.batch, `${r.patch}²`, r.seconds, r.patchesPerSecond, r.peakLiveBytes / 2 ** 20]);
  const bars = rs.map((r) => ({ label: `${r.variant} ${r.batch}×${r.patch}²`, value: r.patchesPerSecond, group: "train" }));
  return table(["variant", "batch", "patch", "median s/step", "patches/s", "peak live MiB"], rows) +
    barChart(bars, "patches / s", "Training step (forward + BCE + backward + Adam)");
}

const RENDER: Record<Suite, (r: SuiteReport) => string> = { kernels: renderKernels, infer: renderInfer, train: renderTrain };
const TITLES: Record<Suite, string> = {
  kernels: "Kernels",
  infer: "Inference",
  train: "Training step",
};

function show(rep: SuiteReport): void {
  const sec = $(rep.suite);
  const extra = [
    rep.skipped.length ? `<p class="warn">Skipped (budget of ${rep.options.budget} s spent): ${rep.skipped.join(", ")}</p>` : "",
    rep.error ? `<p class="error">Error: ${rep.error}</p>` : "",
  ].join("");
  const body = rep.results.length ? RENDER[rep.suite](rep) : "<p>No results.</p>";
  sec.innerHTML = `<h2>${TITLES[rep.suite]} <small>${rep.seconds.toFixed(0)} s</small></h2>${extra}` +
    `<button class="dl">Download JSON</button>${body}`;
  sec.querySelector<HTMLButtonElement>(".dl")!.onclick = () =>
    download(`chrome-${rep.suite}.json`, JSON.stringify(rep, null, 1));
}

async function runSuite(suite: Suite, o: BenchOptions, adapter: string, deadline: number): Promise<SuiteReport> {
  const t0 = performance.now();
  const rep: SuiteReport = {
    suite,
    adapter,
    browser: navigator.userAgent,
    options: o,
    results: [],
    skipped: [],
    seconds: 0,
  };
  if (suite === "infer") rep.alternatives = ALTERNATIVES;
  const late = () => performance.now() > deadline;
  try {
    if (suite === "kernels") {
      const rt = await getRuntime();
      log(KERNEL_HEADER);
      for (const n of o.batch) {
        for (const s of UNET_SHAPES) {
          const name = `${s.op} ${s.cin}→${s.cout} ${s.h}² n${n}`;
          if (late()) {
            rep.skipped.push(name);
            continue;
          }
          for (const r of await benchShape(rt, s, n, o.reps ?? defaultReps(s, n))) {
            rep.results.push(r);
            log(formatKernelRow(r));
          }
        }
      }
    } else if (suite === "infer") {
      // All variants at the first size before the next size: the small size is the one a budget must not lose.
      for (const size of o.sizes) {
        for (const variant of o.variants) {
          if (late()) {
            rep.skipped.push(`${variant} ${size}²`);
            continue;
          }
          const model = createVariant(variant, 1).eval();
          try {
            const r = await benchInfer(model, variant, size, o.inferReps ?? defaultInferReps(size));
            rep.results.push(r);
            log(`${variant.padEnd(17)} ${size}²  ${r.seconds.toFixed(3)} s  ${r.mps.toFixed(3)} MP/s`);
          } finally {
            model.release();
            (await init()).pool.trim();
          }
        }
      }
    } else {
      for (const variant of o.trainVariants) {
        if (late()) {
          rep.skipped.push(variant);
          continue;
        }
        const r = await benchTrainStep(variant, o.trainBatch, o.trainPatch, o.trainReps);
        rep.results.push(r);
        log(`${variant.padEnd(17)} ${r.batch}×${r.patch}²  ${r.seconds.toFixed(2)} s/step  ${r.patchesPerSecond.toFixed(3)} patches/s`);
      }
    }
  } catch (e) {
    rep.error = e instanceof Error ? e.message : String(e);
    log(`${suite}: error: ${rep.error}`);
  }
  rep.seconds = (performance.now() - t0) / 1000;
  return rep;
}

function fillForm(o: BenchOptions): void {
  const form = $<HTMLFormElement>("opts");
  const set = (name: string, v: string) => ((form.elements.namedItem(name) as HTMLInputElement).value = v);
  for (const s of SUITES) (form.elements.namedItem(`suite-${s}`) as HTMLInputElement).checked = o.suites.includes(s);
  (form.elements.namedItem("quick") as HTMLInputElement).checked = o.quick;
  set("budget", o.budget === null ? "" : String(o.budget));
  set("batch", o.batch.join(","));
  set("reps", o.reps === null ? "" : String(o.reps));
  set("variants", o.variants.join(","));
  set("sizes", o.sizes.join(","));
  set("infer_reps", o.inferReps === null ? "" : String(o.inferReps));
  set("train_variants", o.trainVariants.join(","));
  set("train_batch", String(o.trainBatch));
  set("train_patch", String(o.trainPatch));
  set("train_reps", String(o.trainReps));
}

function readForm(): BenchOptions {
  const form = $<HTMLFormElement>("opts");
  const params = new URLSearchParams();
  const suites = SUITES.filter((s) => (form.elements.namedItem(`suite-${s}`) as HTMLInputElement).checked);
  params.set("suites", suites.join(","));
  if ((form.elements.namedItem("quick") as HTMLInputElement).checked) params.set("quick", "1");
  for (const k of ["budget", "batch", "reps", "variants", "sizes", "infer_reps", "train_variants", "train_batch", "train_patch", "train_reps"]) {
    params.set(k, (form.elements.namedItem(k) as HTMLInputElement).value.trim());
  }
  return parseOptions(params);
}

/** "vendor / architecture / description" (Chrome leaves the description of SwiftShader empty). */
async function adapterLabel(fallback: string): Promise<string> {
  const info = (await navigator.gpu.requestAdapter())?.info;
  const label = info ? [info.vendor, info.architecture, info.description].filter((s) => s).join(" / ") : "";
  return label || fallback;
}

async function run(o: BenchOptions): Promise<SuiteReport[]> {
  const button = $<HTMLButtonElement>("run");
  button.disabled = true;
  $("log").textContent = "";
  for (const s of SUITES) $(s).innerHTML = "";
  const reports: SuiteReport[] = [];
  try {
    const rt = await init();
    const adapter = await adapterLabel(rt.adapterName);
    $("adapter").textContent = `WebGPU adapter: ${adapter}`;
    log(`adapter: ${adapter}; suites ${o.suites.join(", ")}${o.quick ? " (quick)" : ""}` +
      (o.budget === null ? "" : `; budget ${o.budget} s`));
    for (const suite of o.suites) {
      $("status").textContent = `running ${TITLES[suite].toLowerCase()}…`;
      const deadline = o.budget === null ? Infinity : performance.now() + o.budget * 1000;
      const rep = await runSuite(suite, o, adapter, deadline);
      reports.push(rep);
      show(rep);
    }
    $("status").textContent = `done in ${reports.reduce((a, r) => a + r.seconds, 0).toFixed(0)} s`;
    const all = $<HTMLButtonElement>("download-all");
    all.hidden = false;
    all.onclick = () => download("chrome-bench.json", JSON.stringify(reports, null, 1));
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    $("status").textContent = "";
    $("error").textContent = msg;
    log(`error: ${msg}`);
  } finally {
    button.disabled = false;
  }
  return reports;
}

async function main(): Promise<void> {
  const params = new URLSearchParams(location.search);
  let o: BenchOptions;
  try {
    o = parseOptions(params);
  } catch (e) {
    $("error").textContent = `Bad query string: ${(e as Error).message}`;
    if (params.has("auto")) await hooks.crgpuBenchDone?.([]);
    o = defaults(false);
  }
  fillForm(o);
  $<HTMLInputElement>("quick").onchange = (ev) => {
    const quick = (ev.target as HTMLInputElement).checked;
    fillForm({ ...defaults(quick), suites: readFormSuites(), budget: o.budget });
  };
  $<HTMLButtonElement>("run").onclick = async () => {
    let opts: BenchOptions;
    try {
      opts = readForm();
    } catch (e) {
      $("error").textContent = (e as Error).message;
      return;
    }
    $("error").textContent = "";
    await run(opts);
  };
  if (!navigator.gpu) {
    $("error").textContent = "This browser has no WebGPU (navigator.gpu is undefined): use Chrome/Edge 113+, " +
      "or Chromium with --enable-unsafe-webgpu.";
    $<HTMLButtonElement>("run").disabled = true;
    await hooks.crgpuBenchDone?.([]);
    return;
  }
  if (params.has("auto")) {
    const reports = await run(o);
    await hooks.crgpuBenchDone?.(reports);
  }
}

function readFormSuites(): Suite[] {
  const form = $<HTMLFormElement>("opts");
  return SUITES.filter((s) => (form.elements.namedItem(`suite-${s}`) as HTMLInputElement).checked);
}

void main();
