// Runs the benchmark page (dist/bench.html) in headless Chromium (WebGPU on SwiftShader here), one page load per
// suite, writes each report to bench/results/chrome-<suite>-<adapter>.json beside the Deno results, and writes
// bench/results/compare.md comparing them with Deno's (kernels-*.json, infer-*.json, train-*.json).
//   deno task bench:browser [--suites kernels,infer,train] [--full] [--budget 480] [--query "train_batch=2&…"]
//     [--compare-only]
// Default: the page's quick settings (SwiftShader is a CPU rasterizer) and a time budget over all suites, split
// between them; items not started within a suite's share are skipped and listed in its JSON. --full runs the Deno
// benchmarks' settings (batch 16 kernels, 1024² inference, batch 16 × 256² training: an hour or more on a CPU).
import { buildIfStale } from "../../build.ts";
import { parseArgs, writeResults } from "../../src/cli/args.ts";
import { repoMounts, serveStatic } from "../../src/cli/serve.ts";
import { chromiumPath, launchChromium, wantedChromium } from "../../test/browser/chromium.ts";
import type { SuiteReport } from "./bench.ts";
import { writeCompare } from "./compare.ts";

/** Share of the budget per suite (training steps are the slowest items). */
const SHARE: Record<string, number> = { kernels: 0.3, infer: 0.3, train: 0.4 };

/** The 1-minute load average (Linux), or null. */
function loadAverage(): number | null {
  try {
    return Number(Deno.readTextFileSync("/proc/loadavg").split(" ")[0]);
  } catch {
    return null;
  }
}

async function runSuite(
  ctx: Awaited<ReturnType<typeof launchChromium>>["ctx"],
  url: string,
  suite: string,
  budget: number,
): Promise<SuiteReport | null> {
  const page = await ctx.newPage();
  let finish: (r: SuiteReport[] | string) => void = () => {};
  const done = new Promise<SuiteReport[] | string>((resolve) => (finish = resolve));
  await page.exposeFunction("crgpuBenchLog", (line: string) => console.log(`  ${line}`));
  await page.exposeFunction("crgpuBenchDone", (reports: SuiteReport[]) => finish(reports));
  page.on("pageerror", (e) => finish(`uncaught error in the page: ${e.message}`));
  // The budget only stops new items from starting: allow the last one time to finish.
  const hardLimit = (budget + 300) * 1000;
  const timer = setTimeout(() => finish(`no result after ${hardLimit / 1000} s`), hardLimit);
  try {
    await page.goto(url);
    const out = await done;
    if (typeof out === "string") {
      console.error(`${suite}: ${out}`);
      return null;
    }
    return out[0] ?? null;
  } finally {
    clearTimeout(timer);
    await page.close();
  }
}

async function main(): Promise<number> {
  const args = parseArgs(Deno.args, {
    suites: "kernels,infer,train",
    full: false,
    budget: "480",
    query: "",
    "compare-only": false,
  });
  if (args["compare-only"]) {
    console.log(`written: ${await writeCompare()}`);
    return 0;
  }
  const exe = chromiumPath();
  if (!exe) {
    console.error(`bench:browser: no ${wantedChromium()} (apt-get install -y chromium, or set CHROMIUM)`);
    return 1;
  }
  const suites = String(args.suites).split(",").map((s) => s.trim()).filter(Boolean);
  for (const s of suites) if (!(s in SHARE)) throw new Error(`unknown suite '${s}' (known: ${Object.keys(SHARE).join(", ")})`);
  const total = Number(args.budget);
  if (!(total > 0)) throw new Error(`--budget needs a positive number of seconds (got '${args.budget}')`);
  await buildIfStale((s) => console.log(`bench:browser: ${s}`));
  const { server, url } = serveStatic(repoMounts());
  const browser = await launchChromium(exe);
  const t0 = performance.now();
  let failed = false;
  try {
    const shares = suites.reduce((a, s) => a + SHARE[s], 0);
    let left = total;
    for (const [i, suite] of suites.entries()) {
      // Time a suite leaves unused goes to the ones after it.
      const rest = suites.slice(i).reduce((a, s) => a + SHARE[s], 0);
      const budget = Math.max(30, Math.round(left * SHARE[suite] / (rest || shares)));
      const params = new URLSearchParams({ suites: suite, budget: String(budget), auto: "1" });
      if (!args.full) params.set("quick", "1");
      for (const [k, v] of new URLSearchParams(String(args.query))) params.set(k, v);
      console.log(`${suite}: ${url}/dist/bench.html?${params} (budget ${budget} s)`);
      const s0 = performance.now();
      const loadBefore = loadAverage();
      const report = await runSuite(browser.ctx, `${url}/dist/bench.html?${params}`, suite, budget);
      left -= (performance.now() - s0) / 1000;
      if (!report) {
        failed = true;
        continue;
      }
      if (report.error) failed = true;
      if (report.skipped.length) console.log(`  skipped (budget): ${report.skipped.join(", ")}`);
      // The machine is shared: the load average says how disturbed the run was.
      const machine = { cpus: navigator.hardwareConcurrency, loadavg1: [loadBefore, loadAverage()] };
      const out = { ...report, machine };
      console.log(`  written: ${await writeResults(`chrome-${suite}`, out)}`);
    }
  } finally {
    await browser.close();
    await server.shutdown();
  }
  console.log(`bench:browser: ${((performance.now() - t0) / 1000).toFixed(0)} s in Chromium`);
  console.log(`written: ${await writeCompare()}`);
  return failed ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main());
