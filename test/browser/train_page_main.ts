// Standalone run of the training-page test (test/browser/train_page_check.ts) until test/browser/run.ts calls it:
// builds dist/ (build.ts, plus the training page through src/web/train_build.ts), serves the repository as
// `deno task serve` does, opens headless Chromium (WebGPU on SwiftShader) and runs the check.
//   node_modules/.bin/deno run -A test/browser/train_page_main.ts [--stop] [--measure QUERY]
// --stop also checks Stop in the middle of training (another ~40 s in SwiftShader). --measure runs the page with
// QUERY instead of the test (e.g. "auto=1&frames=1&size=512&chunk=64&epochs=1&steps=2&batch=16&patch=64") and
// prints its timings: the quick preset's step time on this browser's adapter.
// Skips with exit 0 without /usr/bin/chromium (or $CHROMIUM), unless CI=true.
import * as esbuild from "esbuild";
import { browserOptions, build } from "../../build.ts";
import { serveStatic } from "../../src/cli/serve.ts";
import { buildTrainPage } from "../../src/web/train_build.ts";
import { adapterInfo, chromiumPath, launchChromium, wantedChromium } from "./chromium.ts";
import { checkStopWhileTraining, measureRun, runTrainPage, TRAIN_PAGE } from "./train_page_check.ts";
import type { TestResult } from "./vitest_shim.ts";

const root = new URL("../../", import.meta.url).pathname;

function print(r: TestResult): void {
  const mark = r.status === "pass" ? "✓" : r.status === "fail" ? "✗" : "-";
  console.log(`  ${mark} ${r.name} (${(r.ms / 1000).toFixed(1)} s)${r.error ? `\n      ${r.error}` : ""}`);
}

async function main(): Promise<number> {
  const exe = chromiumPath();
  if (!exe) {
    console.log(`${TRAIN_PAGE}: skipped, no ${wantedChromium()}`);
    return Deno.env.get("CI") === "true" ? 1 : 0;
  }
  const t0 = performance.now();
  try {
    await build();
    const path = (rel: string) => root + rel;
    await buildTrainPage({ ...browserOptions, sourcemap: "linked", absWorkingDir: root }, path);
  } finally {
    await esbuild.stop();
  }
  console.log(`${TRAIN_PAGE}: built dist/ in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const { server, url } = serveStatic([{ prefix: "/", dir: root }]);
  const browser = await launchChromium(exe, { downloads: true });
  let results: TestResult[] = [];
  try {
    console.log(`${TRAIN_PAGE}: ${exe}, WebGPU adapter: ${await adapterInfo(browser.ctx, `${url}/dist/index.html`)}`);
    const t1 = performance.now();
    const measure = Deno.args.indexOf("--measure");
    if (measure >= 0) {
      console.log(await measureRun(browser.ctx, url, Deno.args[measure + 1] ?? ""));
      return 0;
    }
    results = await runTrainPage(browser.ctx, url, print);
    if (Deno.args.includes("--stop")) {
      const t2 = performance.now(), name = "training page > Stop while training keeps the last model";
      try {
        const what = await checkStopWhileTraining(browser.ctx, url);
        results.push({ name, status: "pass", ms: performance.now() - t2 });
        console.log(`      ${what}`);
      } catch (e) {
        results.push({
          name,
          status: "fail",
          ms: performance.now() - t2,
          error: e instanceof Error ? e.message : String(e),
        });
      }
      print(results.at(-1)!);
    }
    console.log(`${TRAIN_PAGE}: ${((performance.now() - t1) / 1000).toFixed(1)} s`);
  } finally {
    await browser.close();
    await server.shutdown();
  }
  const failed = results.filter((r) => r.status === "fail").length;
  console.log(`${TRAIN_PAGE}: ${results.length - failed} passed, ${failed} failed`);
  return failed > 0 || results.length === 0 ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main());
