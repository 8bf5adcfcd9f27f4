// Builds dist/: crgpu.js, an ESM bundle of src/browser.ts (the library plus every shaders/*.wgsl embedded as text)
// for `import * as crgpu from "./dist/crgpu.js"` in a page, and the pages served by `deno task serve`:
//   dist/index.html               links to the pages
//   dist/detect.html, detect.js   CR detection of a FITS file (src/web/); imports ./crgpu.js
//   dist/bench.html, bench.js     kernel / inference / training benchmarks (bench/browser/); self-contained
//   dist/train.html, train.js     training in the browser on simulated data (src/web/train*.ts); self-contained
// Run: `deno run -A build.ts` (npm run build). `buildIfStale()` rebuilds only when a source is newer than dist/.
import * as esbuild from "esbuild";
import { buildTrainPage, TRAIN_OUTPUTS } from "./src/web/train_build.ts";

const root = new URL("./", import.meta.url);
const path = (rel: string) => new URL(rel, root).pathname;

/** Options shared with the browser test bundles: WGSL files load as text, output is browser ESM. */
export const browserOptions: esbuild.BuildOptions = {
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  loader: { ".wgsl": "text" },
  logLevel: "warning",
};

/** Every file build() writes, relative to the repository. */
export const OUTPUTS = [
  "dist/crgpu.js",
  "dist/index.html",
  "dist/detect.html",
  "dist/detect.js",
  "dist/bench.html",
  "dist/bench.js",
  ...TRAIN_OUTPUTS,
];

/** Static files copied into dist/ as they are. */
const COPIED: [string, string][] = [
  ["src/web/index.html", "dist/index.html"],
  ["src/web/detect.html", "dist/detect.html"],
  ["bench/browser/bench.html", "dist/bench.html"],
];

/** Folders (and files) whose changes make dist/ stale. */
const SOURCES = ["src", "shaders", "bench/browser", "bench/kernels.ts", "bench/infer.ts", "build.ts"];

/** Fails when a shaders/*.wgsl file is not imported by src/browser.ts (the bundle would miss that kernel). */
export async function checkShaderList(): Promise<string[]> {
  const entry = await Deno.readTextFile(path("src/browser.ts"));
  const names: string[] = [];
  for await (const f of Deno.readDir(path("shaders"))) {
    if (f.isFile && f.name.endsWith(".wgsl")) names.push(f.name.slice(0, -".wgsl".length));
  }
  const missing = names.filter((n) => !entry.includes(`"../shaders/${n}.wgsl"`));
  if (missing.length) throw new Error(`src/browser.ts does not embed shaders/${missing.join(".wgsl, shaders/")}.wgsl`);
  return names.sort();
}

/** Library files must run in a page: nothing from src/cli, and no `Deno.` call outside a `globalThis.Deno` guard. */
function checkBrowserSafe(meta: esbuild.Metafile, code: string, what: string): void {
  const cli = Object.keys(meta.inputs).filter((f) => f.startsWith("src/cli/"));
  if (cli.length) throw new Error(`${what} pulls in CLI code: ${cli.join(", ")}`);
  const bare = code.split("\n").filter((l) => /(^|[^.\w])Deno\.\w/.test(l));
  if (bare.length) throw new Error(`${what} calls Deno.* directly:\n${bare.join("\n")}`);
}

/** The detection page imports the library through src/browser.ts; in dist/ that is the sibling crgpu.js bundle. */
const libraryAsBundle: esbuild.Plugin = {
  name: "library-as-bundle",
  setup(b) {
    b.onResolve({ filter: /\/browser\.ts$/ }, () => ({ path: "./crgpu.js", external: true }));
  },
};

export async function build(): Promise<{ bytes: number; shaders: string[] }> {
  const shaders = await checkShaderList();
  const common = { ...browserOptions, sourcemap: "linked" as const, metafile: true as const, absWorkingDir: path(".") };
  const [lib, detect] = await Promise.all([
    esbuild.build({ ...common, entryPoints: [path("src/browser.ts")], outfile: path("dist/crgpu.js") }),
    esbuild.build({
      ...common,
      entryPoints: [path("src/web/detect.ts")],
      outfile: path("dist/detect.js"),
      plugins: [libraryAsBundle],
    }),
    esbuild.build({ ...common, entryPoints: [path("bench/browser/bench.ts")], outfile: path("dist/bench.js") }),
    buildTrainPage(common, path), // dist/train.js (self-contained: no libraryAsBundle) + dist/train.html
  ]);
  const code = await Deno.readTextFile(path("dist/crgpu.js"));
  checkBrowserSafe(lib.metafile, code, "dist/crgpu.js");
  checkBrowserSafe(detect.metafile, await Deno.readTextFile(path("dist/detect.js")), "dist/detect.js");
  for (const [from, to] of COPIED) await Deno.copyFile(path(from), path(to));
  return { bytes: code.length, shaders };
}

async function newestMtime(rel: string): Promise<number> {
  const info = await Deno.stat(path(rel));
  if (!info.isDirectory) return info.mtime?.getTime() ?? 0;
  let newest = 0;
  for await (const e of Deno.readDir(path(rel))) {
    newest = Math.max(newest, await newestMtime(`${rel}/${e.name}`));
  }
  return newest;
}

/** True when an output is missing or older than a source under src/, shaders/, bench/browser/ or build.ts. */
export async function isStale(): Promise<boolean> {
  let oldestOutput = Infinity;
  for (const out of OUTPUTS) {
    try {
      oldestOutput = Math.min(oldestOutput, (await Deno.stat(path(out))).mtime?.getTime() ?? 0);
    } catch {
      return true;
    }
  }
  let newestSource = 0;
  for (const s of SOURCES) newestSource = Math.max(newestSource, await newestMtime(s));
  return newestSource > oldestOutput;
}

/** Builds when dist/ is missing or stale; says which it did. */
export async function buildIfStale(log: (s: string) => void = console.log): Promise<void> {
  if (!(await isStale())) return;
  const t0 = performance.now();
  try {
    const { bytes, shaders } = await build();
    log(`built dist/ (crgpu.js ${(bytes / 1024).toFixed(0)} KiB, ${shaders.length} shaders, pages) in ` +
      `${((performance.now() - t0) / 1000).toFixed(1)} s`);
  } finally {
    await esbuild.stop();
  }
}

if (import.meta.main) {
  try {
    const { bytes, shaders } = await build();
    console.log(`dist/crgpu.js: ${(bytes / 1024).toFixed(0)} KiB, ${shaders.length} shaders embedded; ` +
      `pages: dist/index.html, dist/detect.html, dist/train.html, dist/bench.html`);
  } finally {
    await esbuild.stop();
  }
}
