// Runs the kernel test files in headless Chromium with WebGPU on SwiftShader: each file is bundled with esbuild
// ("vitest" aliased to a small shim), served from 127.0.0.1 and opened in its own page; results come back through
// functions exposed by Playwright. library.test.ts runs against the built dist/crgpu.js.
//   deno run -A test/browser/run.ts [file names without .test.ts]
// Without /usr/bin/chromium (or $CHROMIUM) this skips with exit 0, unless CI=true. BROWSER_TEST_TIMEOUT_S sets
// the time limit per file (600 s).
import * as esbuild from "esbuild";
import { chromium, type BrowserContext } from "playwright-core";
import { browserOptions, build } from "../../build.ts";
import type { TestResult } from "./vitest_shim.ts";

const FILES = [
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
  // Beyond single kernels, cheap here: a training loop's memory, whole UNets through checkpoints, the unpickler.
  "memory",
  "model_checkpoint",
  "checkpoint-pickle",
];
// Not run: files that read ../shared or use Deno.* (fits, lacosmic, checkpoint, unet_parity, detect, synth,
// checkpoint-safetensors), and large_tensor, whose premise (a 144 MiB tensor exceeds one binding) holds on
// llvmpipe's 128 MiB limit but not on SwiftShader's 1 GiB.

const ARGS = [
  "--headless=new",
  "--no-sandbox",
  "--enable-unsafe-webgpu",
  "--use-webgpu-adapter=swiftshader",
  "--enable-unsafe-swiftshader",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/** Per file: SwiftShader is a CPU rasterizer, slower than llvmpipe on these kernels. */
const FILE_TIMEOUT_MS = Number(Deno.env.get("BROWSER_TEST_TIMEOUT_S") ?? 600) * 1000;

const root = new URL("../../", import.meta.url).pathname;

function chromiumPath(): string | null {
  const p = Deno.env.get("CHROMIUM") ?? "/usr/bin/chromium";
  try {
    return Deno.statSync(p).isFile ? p : null;
  } catch {
    return null;
  }
}

/** "vitest" → the shim; library.test.ts's "../src/index.ts" → the served dist bundle. */
const aliases: esbuild.Plugin = {
  name: "browser-test-aliases",
  setup(b) {
    b.onResolve({ filter: /^vitest$/ }, () => ({ path: `${root}test/browser/vitest_shim.ts` }));
    b.onResolve({ filter: /\/src\/index\.ts$/ }, (args) =>
      args.importer.endsWith("/library.test.ts") ? { path: "/dist/crgpu.js", external: true } : undefined);
  },
};

async function bundleTest(name: string, outDir: string): Promise<void> {
  const contents = [
    `import "./src/browser.ts";`, // registers the embedded WGSL for the src/ modules the test imports
    `import "./test/${name}.test.ts";`,
    `import { start } from "./test/browser/page.ts";`,
    `start();`,
  ].join("\n");
  await esbuild.build({
    ...browserOptions,
    stdin: { contents, resolveDir: root, loader: "ts", sourcefile: `${name}.page.ts` },
    outfile: `${outDir}/${name}.js`,
    sourcemap: "inline",
    plugins: [aliases],
  });
}

const TYPES: Record<string, string> = { js: "text/javascript", html: "text/html", map: "application/json" };

/** Loopback-only static server: pages and test bundles from `dir`, /dist/* from the repository. */
function serve(dir: string): Deno.HttpServer<Deno.NetAddr> {
  return Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const path = decodeURIComponent(new URL(req.url).pathname);
    if (path.includes("..")) return new Response("bad path", { status: 400 });
    const file = path.startsWith("/dist/") ? `${root}${path.slice(1)}` : `${dir}${path}`;
    try {
      const body = await Deno.readFile(file);
      const type = TYPES[file.split(".").pop() ?? ""] ?? "application/octet-stream";
      return new Response(body, { headers: { "content-type": type } });
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
}

interface FileOutcome {
  results: TestResult[];
  error?: string;
  ms: number;
}

async function runFile(ctx: BrowserContext, base: string, name: string): Promise<FileOutcome> {
  const page = await ctx.newPage();
  const results: TestResult[] = [];
  const t0 = performance.now();
  let finish: (error?: string) => void = () => {};
  const done = new Promise<string | undefined>((resolve) => (finish = resolve));
  await page.exposeFunction("crgpuReport", (r: TestResult) => {
    results.push(r);
    const mark = r.status === "pass" ? "✓" : r.status === "fail" ? "✗" : "-";
    const time = r.status === "skip" ? "skipped" : `${(r.ms / 1000).toFixed(1)} s`;
    console.log(`  ${mark} ${r.name} (${time})${r.error ? `\n      ${r.error.replaceAll("\n", "\n      ")}` : ""}`);
  });
  await page.exposeFunction("crgpuDone", () => finish());
  page.on("pageerror", (e) => finish(`uncaught error in the page: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") console.log(`  [console.${m.type()}] ${m.text()}`);
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`timed out after ${FILE_TIMEOUT_MS / 1000} s`), FILE_TIMEOUT_MS);
  });
  await page.goto(`${base}/page.html?test=${name}`);
  const error = await Promise.race([done, timeout]);
  clearTimeout(timer);
  await page.close();
  return { results, error, ms: performance.now() - t0 };
}

const PAGE = `<!doctype html><meta charset="utf-8"><title>crgpu browser tests</title>
<script type="module">
const name = new URLSearchParams(location.search).get("test");
if (name) await import("/" + name + ".js");
</script>`;

async function adapterInfo(ctx: BrowserContext, base: string): Promise<string> {
  const page = await ctx.newPage();
  await page.goto(`${base}/page.html`);
  const info = await page.evaluate(async () => {
    const a = await navigator.gpu?.requestAdapter();
    if (!a) return null;
    return [a.info.vendor, a.info.architecture, a.info.description].filter((s) => s).join(" / ");
  });
  await page.close();
  if (info === null) throw new Error("Chromium exposes no WebGPU adapter (navigator.gpu or requestAdapter failed)");
  return info;
}

async function main(): Promise<number> {
  const exe = chromiumPath();
  if (!exe) {
    const want = Deno.env.get("CHROMIUM") ?? "/usr/bin/chromium";
    if (Deno.env.get("CI") === "true") {
      console.error(`browser: ${want} is missing (CI=true: apt-get install -y chromium)`);
      return 1;
    }
    console.log(`browser: skipped, no ${want} (apt-get install -y chromium, or set CHROMIUM)`);
    return 0;
  }
  const names = Deno.args.length ? Deno.args : FILES;
  const t0 = performance.now();
  await build();
  const dir = await Deno.makeTempDir({ prefix: "crgpu-browser-" });
  const profile = await Deno.makeTempDir({ prefix: "crgpu-chromium-" });
  await Deno.writeTextFile(`${dir}/page.html`, PAGE);
  await Promise.all(names.map((n) => bundleTest(n, dir)));
  await esbuild.stop();
  console.log(`browser: built dist/crgpu.js and ${names.length} test bundles in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const server = serve(dir);
  const base = `http://127.0.0.1:${server.addr.port}`;
  // launchPersistentContext takes the profile directory Playwright would refuse as a --user-data-dir argument.
  const ctx = await chromium.launchPersistentContext(profile, { executablePath: exe, headless: false, args: ARGS });
  const counts = { pass: 0, fail: 0, skip: 0 };
  const perFile: string[] = [];
  try {
    console.log(`browser: ${exe}, WebGPU adapter: ${await adapterInfo(ctx, base)}`);
    for (const name of names) {
      console.log(`test/${name}.test.ts`);
      const out = await runFile(ctx, base, name);
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
    }
  } finally {
    await ctx.close();
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(profile, { recursive: true }).catch(() => {});
  }
  console.log(perFile.join("\n"));
  console.log(`browser: total ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  console.log(`browser: ${counts.pass} passed, ${counts.fail} failed, ${counts.skip} skipped`);
  return counts.fail > 0 ? 1 : 0;
}

Deno.exit(await main());
