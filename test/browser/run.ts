// Runs tests in headless Chromium with WebGPU on SwiftShader: each test file is bundled with esbuild ("vitest"
// aliased to a small shim), served from 127.0.0.1 and opened in its own page; results come back through functions
// exposed by Playwright. library.test.ts runs against the built dist/crgpu.js; unet_parity.test.ts reads
// ../shared over HTTP through a Deno shim; "detect-page" drives the detection page (detect_page.ts), "train-page"
// a few training steps in the training page (train_page_check.ts).
//   deno run -A test/browser/run.ts [file names without .test.ts, detect-page, train-page]
// Without /usr/bin/chromium (or $CHROMIUM) this skips with exit 0, unless CI=true. BROWSER_TEST_TIMEOUT_S sets
// the time limit per file (600 s).
import * as esbuild from "esbuild";
import type { BrowserContext } from "playwright-core";
import { browserOptions, build } from "../../build.ts";
import { type Mount, serveStatic } from "../../src/cli/serve.ts";
import { adapterInfo, chromiumPath, launchChromium, wantedChromium } from "./chromium.ts";
import { DETECT_PAGE, runDetectPage } from "./detect_page.ts";
import { runTrainPage, TRAIN_PAGE } from "./train_page_check.ts";
import type { TestResult } from "./vitest_shim.ts";

interface Entry {
  name: string;
  /** Bundle with test/browser/deno_shim.ts injected as `Deno` (the test reads files). */
  denoShim?: boolean;
  /** Only the tests whose full name matches (a regular expression). */
  only?: string;
}

const FILES: Entry[] = [
  "elementwise",
  "conv2d",
  "conv_transpose2d",
  "max_pool2d",
  "batch_norm2d",
  "group_norm",
  "gate",
  "concat",
  "reduce",
  "bce_loss",
  "adam",
  "autograd",
  "runtime",
  "library",
  "browser/shaders",
  "browser/stretch",
  // Beyond single kernels, cheap here: a training loop's memory, whole UNets through checkpoints, the unpickler.
  "memory",
  "model_checkpoint",
  "checkpoint-pickle",
].map((name) => ({ name }));

/**
 * Parity with PyTorch on published checkpoints, in Chromium: one BatchNorm model (deepcr) and one GroupNorm model
 * (cosmic_conn); the other three run in Deno (`npm test`), which keeps this suite's time small.
 */
const PARITY: Entry = { name: "unet_parity", denoShim: true, only: "> (deepcr|cosmic_conn):" };

// Not run: files that use Deno.* beyond reading files (fits, lacosmic, checkpoint, detect, synth,
// checkpoint-safetensors), and large_tensor, whose premise (a 144 MiB tensor exceeds one binding) holds on
// llvmpipe's 128 MiB limit but not on SwiftShader's 1 GiB.

/** Per file: SwiftShader is a CPU rasterizer, slower than llvmpipe on these kernels. */
const FILE_TIMEOUT_MS = Number(Deno.env.get("BROWSER_TEST_TIMEOUT_S") ?? 600) * 1000;

const root = new URL("../../", import.meta.url).pathname;
const shared = new URL("../../../shared/", import.meta.url).pathname;

/** "vitest" → the shim; library.test.ts's "../src/index.ts" → the served dist bundle. */
const aliases: esbuild.Plugin = {
  name: "browser-test-aliases",
  setup(b) {
    b.onResolve({ filter: /^vitest$/ }, () => ({ path: `${root}test/browser/vitest_shim.ts` }));
    b.onResolve({ filter: /\/src\/index\.ts$/ }, (args) =>
      args.importer.endsWith("/library.test.ts") ? { path: "/dist/crgpu.js", external: true } : undefined);
  },
};

/** Bundle file name of an entry (test names may contain "/"). */
const bundleName = (e: Entry) => e.name.replaceAll("/", "__");

async function bundleTest(e: Entry, outDir: string): Promise<void> {
  const contents = [
    `import "./src/browser.ts";`, // registers the embedded WGSL for the src/ modules the test imports
    `import "./test/${e.name}.test.ts";`,
    `import { start } from "./test/browser/page.ts";`,
    `start(${e.only === undefined ? "" : JSON.stringify(e.only)});`,
  ].join("\n");
  await esbuild.build({
    ...browserOptions,
    stdin: { contents, resolveDir: root, loader: "ts", sourcefile: `${e.name}.page.ts` },
    outfile: `${outDir}/${bundleName(e)}.js`,
    sourcemap: "inline",
    plugins: [aliases],
    inject: e.denoShim ? [`${root}test/browser/deno_shim.ts`] : [],
  });
}

interface FileOutcome {
  results: TestResult[];
  error?: string;
  ms: number;
}

export function printResult(r: TestResult): void {
  const mark = r.status === "pass" ? "✓" : r.status === "fail" ? "✗" : "-";
  const time = r.status === "skip" ? "skipped" : `${(r.ms / 1000).toFixed(1)} s`;
  console.log(`  ${mark} ${r.name} (${time})${r.error ? `\n      ${r.error.replaceAll("\n", "\n      ")}` : ""}`);
}

async function runFile(ctx: BrowserContext, base: string, e: Entry): Promise<FileOutcome> {
  const page = await ctx.newPage();
  const results: TestResult[] = [];
  const t0 = performance.now();
  let finish: (error?: string) => void = () => {};
  const done = new Promise<string | undefined>((resolve) => (finish = resolve));
  await page.exposeFunction("crgpuReport", (r: TestResult) => {
    results.push(r);
    printResult(r);
  });
  await page.exposeFunction("crgpuDone", () => finish());
  page.on("pageerror", (err) => finish(`uncaught error in the page: ${err.message}`));
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") console.log(`  [console.${m.type()}] ${m.text()}`);
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`timed out after ${FILE_TIMEOUT_MS / 1000} s`), FILE_TIMEOUT_MS);
  });
  await page.goto(`${base}/page.html?test=${bundleName(e)}`);
  const error = await Promise.race([done, timeout]);
  clearTimeout(timer);
  await page.close();
  return { results, error, ms: performance.now() - t0 };
}

const PAGE = `<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><title>crgpu browser tests</title>
<script type="module">
const name = new URLSearchParams(location.search).get("test");
if (name) await import("/" + name + ".js");
</script>`;

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

async function main(): Promise<number> {
  const exe = chromiumPath();
  if (!exe) {
    const want = wantedChromium();
    if (Deno.env.get("CI") === "true") {
      console.error(`browser: ${want} is missing (CI=true: apt-get install -y chromium)`);
      return 1;
    }
    console.log(`browser: skipped, no ${want} (apt-get install -y chromium, or set CHROMIUM)`);
    return 0;
  }
  const all = [...FILES, PARITY];
  const names = Deno.args.length ? Deno.args : [...all.map((e) => e.name), DETECT_PAGE, TRAIN_PAGE];
  const pages = [DETECT_PAGE, TRAIN_PAGE];
  const entries = names.filter((n) => !pages.includes(n)).map((n) => all.find((e) => e.name === n) ?? { name: n });
  const t0 = performance.now();
  await build();
  const dir = await Deno.makeTempDir({ prefix: "crgpu-browser-" });
  await Deno.writeTextFile(`${dir}/page.html`, PAGE);
  await Promise.all(entries.map((e) => bundleTest(e, dir)));
  await esbuild.stop();
  console.log(`browser: built dist/ and ${entries.length} test bundles in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  // Test bundles at /, the built pages at /dist/, and (for the parity and detection tests) ../shared at /shared/.
  const mounts: Mount[] = [{ prefix: "/", dir: `${dir}/` }, { prefix: "/dist/", dir: `${root}dist/` }];
  if (exists(shared)) mounts.push({ prefix: "/shared/", dir: shared });
  if (exists(`${root}models`)) mounts.push({ prefix: "/models/", dir: `${root}models/` });
  const { server, url: base } = serveStatic(mounts);
  const browser = await launchChromium(exe, { downloads: true });
  const counts = { pass: 0, fail: 0, skip: 0 };
  const perFile: string[] = [];
  const tally = (name: string, out: FileOutcome) => {
    const c = { pass: 0, fail: 0, skip: 0 };
    for (const r of out.results) c[r.status]++;
    if (out.error || out.results.length === 0) {
      console.log(`  ✗ ${out.error ?? "no tests ran"}`);
      c.fail++;
    }
    counts.pass += c.pass;
    counts.fail += c.fail;
    counts.skip += c.skip;
    perFile.push(`  ${name}: ${c.pass} passed, ${c.fail} failed, ${c.skip} skipped, ${(out.ms / 1000).toFixed(1)} s`);
  };
  try {
    console.log(`browser: ${exe}, WebGPU adapter: ${await adapterInfo(browser.ctx, `${base}/page.html`)}`);
    for (const e of entries) {
      console.log(`test/${e.name}.test.ts${e.only ? ` (only /${e.only}/)` : ""}`);
      tally(e.name, await runFile(browser.ctx, base, e));
    }
    if (names.includes(DETECT_PAGE)) {
      console.log(`${DETECT_PAGE} (test/browser/detect_page.ts)`);
      const t1 = performance.now();
      const results = await runDetectPage(browser.ctx, base, printResult);
      tally(DETECT_PAGE, { results, ms: performance.now() - t1 });
    }
    if (names.includes(TRAIN_PAGE)) {
      console.log(`${TRAIN_PAGE} (test/browser/train_page_check.ts)`);
      const t1 = performance.now();
      const results = await runTrainPage(browser.ctx, base, printResult);
      tally(TRAIN_PAGE, { results, ms: performance.now() - t1 });
    }
  } finally {
    await browser.close();
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
  console.log(perFile.join("\n"));
  console.log(`browser: total ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  console.log(`browser: ${counts.pass} passed, ${counts.fail} failed, ${counts.skip} skipped`);
  return counts.fail > 0 ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main());
