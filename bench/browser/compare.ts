// bench/results/compare.md: Deno's WebGPU (wgpu) against Chrome's (Dawn) on this machine, from the result files of
// `deno task bench:kernels`, `bench:infer`, `bench:train` (kernels-*.json, infer-*.json, train-*.json) and of
// `deno task bench:browser` (chrome-kernels-*.json, …). Each file is one column; ratios are Chrome / Deno.

import type { KernelResult } from "../kernels.ts";

/** A record of kernels-*.json (Deno) or chrome-kernels-*.json (browser): the same shape. */
type Kernel = KernelResult;

interface Infer {
  variant: string;
  size: number;
  seconds: number;
  mps: number;
  bestMps: number;
}

interface Train {
  variant: string;
  batch: number;
  patch: number;
  seconds: number;
  patchesPerSecond: number;
}

interface ResultFile<T> {
  file: string;
  adapter: string;
  date?: string;
  browser?: string;
  options?: Record<string, unknown>;
  skipped?: string[];
  machine?: { cpus?: number; loadavg1?: (number | null)[] };
  results: T[];
}

interface Column<T> {
  label: string;
  data: ResultFile<T>;
}

const dir = new URL("../results/", import.meta.url);

async function load<T>(kind: string): Promise<{ deno: Column<T>[]; chrome: Column<T>[] }> {
  const deno: Column<T>[] = [], chrome: Column<T>[] = [];
  const names: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) if (e.isFile && e.name.endsWith(".json")) names.push(e.name);
  } catch {
    return { deno, chrome };
  }
  for (const name of names.sort()) {
    const isChrome = name.startsWith(`chrome-${kind}-`);
    if (!isChrome && !name.startsWith(`${kind}-`)) continue;
    const data = { ...JSON.parse(await Deno.readTextFile(new URL(name, dir))), file: name } as ResultFile<T>;
    if (!Array.isArray(data.results)) continue;
    (isChrome ? chrome : deno).push({ label: `${isChrome ? "Chrome/Dawn" : "Deno/wgpu"} · ${data.adapter}`, data });
  }
  return { deno, chrome };
}

const f = (v: number | undefined) =>
  v === undefined || !Number.isFinite(v) ? "–" : v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(2) : v.toPrecision(2);
const ratio = (a: number | undefined, b: number | undefined) => (a && b ? `${(a / b).toFixed(2)}×` : "–");

function median(values: number[]): number | undefined {
  if (!values.length) return undefined;
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function row(cells: (string | number)[]): string {
  return `| ${cells.join(" | ")} |`;
}

function tableHead(head: string[]): string[] {
  return [row(head), row(head.map(() => "---"))];
}

const kernelKey = (k: Kernel) => `${k.op}|${k.cin}|${k.cout}|${k.h}|${k.w}|${k.pass}|${k.n}`;
const inferKey = (r: Infer) => `${r.variant}|${r.size}`;
/** Training speed in 256² patches per second: the work of a step grows with its pixels. */
const per256 = (r: Train) => r.patchesPerSecond * (r.patch / 256) ** 2;

/** The page options that matter to each suite. */
const OPTION_KEYS: Record<string, string[]> = {
  kernels: ["quick", "batch", "reps"],
  infer: ["quick", "variants", "sizes", "inferReps"],
  train: ["quick", "trainVariants", "trainBatch", "trainPatch", "trainReps"],
};

function describeSource<T>(c: Column<T>, kind: string): string {
  const o = c.data.options;
  const settings = o
    ? Object.entries(o).filter(([k]) => OPTION_KEYS[kind].includes(k)).map(([k, v]) =>
      `${k} ${Array.isArray(v) ? v.join(",") : v}`
    ).join("; ")
    : "the Deno benchmark's settings";
  const skipped = c.data.skipped?.length ? `; skipped (budget): ${c.data.skipped.join(", ")}` : "";
  const load = c.data.machine?.loadavg1 ? `; load average ${c.data.machine.loadavg1.join(" → ")} on ${c.data.machine.cpus} CPUs` : "";
  return `- \`${c.data.file}\` (${c.data.date?.slice(0, 16).replace("T", " ") ?? "no date"}): ${c.label}; ${settings}${skipped}${load}`;
}

export async function compareMarkdown(): Promise<string> {
  const kernels = await load<Kernel>("kernels");
  const infer = await load<Infer>("infer");
  const train = await load<Train>("train");
  const out: string[] = [
    "# Deno (wgpu) and Chrome (Dawn) on this machine",
    "",
    "Written by `deno task bench:browser` from the result files in this folder; the same benchmark code runs in both " +
    "(bench/kernels.ts, bench/infer.ts, the training step of bench/train.ts). Ratios are Chrome / Deno; both run on " +
    "the CPU here (Deno: Mesa llvmpipe, Chrome: SwiftShader), on 2 cores shared with other jobs.",
    "",
  ];
  const d0 = { k: kernels.deno[0], i: infer.deno[0], t: train.deno[0] };
  const c0 = { k: kernels.chrome[0], i: infer.chrome[0], t: train.chrome[0] };

  // Summary: one row per measure, over the items both sides ran.
  out.push("## Summary", "");
  out.push(...tableHead(["measure", d0.k?.label ?? d0.i?.label ?? "Deno/wgpu", c0.k?.label ?? c0.i?.label ?? "Chrome/Dawn", "Chrome / Deno"]));
  if (d0.k && c0.k) {
    const c = new Map(c0.k.data.results.map((r) => [kernelKey(r), r]));
    const both = d0.k.data.results.filter((r) => c.has(kernelKey(r)));
    for (const n of [...new Set(both.map((r) => r.n))]) {
      const dm = median(both.filter((r) => r.n === n).map((r) => r.gflops));
      const cm = median(both.filter((r) => r.n === n).map((r) => c.get(kernelKey(r))!.gflops));
      out.push(row([`conv kernels, batch ${n}: median GFLOP/s over ${both.filter((r) => r.n === n).length} shape×pass`, f(dm), f(cm), ratio(cm, dm)]));
    }
  }
  if (d0.i && c0.i) {
    const c = new Map(c0.i.data.results.map((r) => [inferKey(r), r]));
    for (const size of [...new Set(c0.i.data.results.map((r) => r.size))].sort((a, b) => a - b)) {
      const both = d0.i.data.results.filter((r) => r.size === size && c.has(inferKey(r)));
      const dm = median(both.map((r) => r.mps)), cm = median(both.map((r) => c.get(inferKey(r))!.mps));
      out.push(row([`inference ${size}²: median MP/s over ${both.length} variants`, f(dm), f(cm), ratio(cm, dm)]));
    }
  }
  if (d0.t && c0.t) {
    const variants = c0.t.data.results.map((r) => r.variant).filter((v) => d0.t!.data.results.some((r) => r.variant === v));
    const dm = median(d0.t.data.results.filter((r) => variants.includes(r.variant)).map(per256));
    const cm = median(c0.t.data.results.filter((r) => variants.includes(r.variant)).map(per256));
    const cfg = (c: Column<Train>) => [...new Set(c.data.results.map((r) => `${r.batch}×${r.patch}²`))].join(", ");
    out.push(row([
      `training step: median 256²-patches/s over ${variants.length} variants (Deno ${cfg(d0.t)}, Chrome ${cfg(c0.t)})`,
      f(dm),
      f(cm),
      ratio(cm, dm),
    ]));
  } else if (c0.t) {
    out.push(row(["training step: 256²-patches/s", "no train-*.json yet (deno task bench:train)", f(median(c0.t.data.results.map(per256))), "–"]));
  }
  out.push("");

  if (kernels.deno.length || kernels.chrome.length) {
    const cols = [...kernels.deno, ...kernels.chrome];
    const maps = cols.map((c) => new Map(c.data.results.map((r) => [kernelKey(r), r])));
    // Only the shapes Chrome ran, when it ran any (Deno's batch-16 rows would otherwise fill the table).
    const shown = kernels.chrome.length ? kernels.chrome : cols;
    const keys = [...new Set(shown.flatMap((c) => c.data.results.map(kernelKey)))];
    out.push("## Kernels: GFLOP/s", "");
    if (kernels.chrome.length && kernels.deno.length) {
      const omitted = new Set(kernels.deno.flatMap((c) => c.data.results.map(kernelKey)).filter((k) => !keys.includes(k)));
      if (omitted.size) out.push(`(${omitted.size} shape×pass rows that only Deno ran are left out.)`, "");
    }
    out.push(...tableHead(["op", "channels", "input", "n", "pass", ...cols.map((c) => c.label), "Chrome / Deno"]));
    for (const key of keys) {
      const r = maps.map((m) => m.get(key));
      const k = r.find((x) => x)!;
      const d = d0.k ? maps[0].get(key)?.gflops : undefined;
      const c = c0.k ? maps[kernels.deno.length].get(key)?.gflops : undefined;
      out.push(row([k.op, `${k.cin}→${k.cout}`, `${k.h}²`, k.n, k.pass, ...r.map((x) => f(x?.gflops)), ratio(c, d)]));
    }
    out.push("");
  }
  if (infer.deno.length || infer.chrome.length) {
    const cols = [...infer.deno, ...infer.chrome];
    const maps = cols.map((c) => new Map(c.data.results.map((r) => [inferKey(r), r])));
    const keys = [...new Set(cols.flatMap((c) => c.data.results.map(inferKey)))];
    out.push("## Inference: megapixels/s (median run; forward + read-back)", "");
    out.push(...tableHead(["variant", "size", ...cols.map((c) => c.label), "Chrome / Deno"]));
    for (const key of keys) {
      const r = maps.map((m) => m.get(key));
      const k = r.find((x) => x)!;
      const d = d0.i ? maps[0].get(key)?.mps : undefined;
      const c = c0.i ? maps[infer.deno.length].get(key)?.mps : undefined;
      out.push(row([k.variant, `${k.size}²`, ...r.map((x) => f(x?.mps)), ratio(c, d)]));
    }
    out.push("");
  }
  if (train.deno.length || train.chrome.length) {
    const cols = [...train.deno, ...train.chrome];
    out.push("## Training step: patches/s (forward + BCE + backward + Adam)", "");
    out.push(...tableHead(["variant", ...cols.map((c) => c.label), "Chrome / Deno (256²-patches/s)"]));
    for (const v of [...new Set(cols.flatMap((c) => c.data.results.map((r) => r.variant)))]) {
      const r = cols.map((c) => c.data.results.find((x) => x.variant === v));
      const d = d0.t?.data.results.find((x) => x.variant === v), c = c0.t?.data.results.find((x) => x.variant === v);
      const cells = r.map((x) => (x ? `${f(x.patchesPerSecond)} at ${x.batch}×${x.patch}² (${f(per256(x))} 256²/s)` : "–"));
      out.push(row([v, ...cells, ratio(c && per256(c), d && per256(d))]));
    }
    out.push("");
  }
  const sources = ([["kernels", kernels], ["infer", infer], ["train", train]] as const).flatMap(([kind, s]) =>
    [...s.deno, ...s.chrome].map((c) => describeSource(c as Column<unknown>, kind))
  );
  out.push("## Sources", "", ...sources, "");
  return out.join("\n");
}

export async function writeCompare(): Promise<string> {
  const file = new URL("compare.md", dir);
  await Deno.writeTextFile(file, await compareMarkdown());
  return file.pathname;
}
