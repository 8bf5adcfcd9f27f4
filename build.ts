// Builds dist/crgpu.js: an ESM bundle of src/browser.ts (the library plus every shaders/*.wgsl embedded as text)
// for `import * as crgpu from "./dist/crgpu.js"` in a page. Run: `deno run -A build.ts` (npm run build).
import * as esbuild from "esbuild";

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
function checkBrowserSafe(meta: esbuild.Metafile, code: string): void {
  const cli = Object.keys(meta.inputs).filter((f) => f.startsWith("src/cli/"));
  if (cli.length) throw new Error(`the bundle pulls in CLI code: ${cli.join(", ")}`);
  const bare = code.split("\n").filter((l) => /(^|[^.\w])Deno\.\w/.test(l));
  if (bare.length) throw new Error(`the bundle calls Deno.* directly:\n${bare.join("\n")}`);
}

export async function build(outfile = "dist/crgpu.js"): Promise<{ bytes: number; shaders: string[] }> {
  const shaders = await checkShaderList();
  const result = await esbuild.build({
    ...browserOptions,
    entryPoints: [path("src/browser.ts")],
    outfile: path(outfile),
    sourcemap: "linked",
    metafile: true,
    absWorkingDir: path("."),
  });
  const code = await Deno.readTextFile(path(outfile));
  checkBrowserSafe(result.metafile, code);
  return { bytes: code.length, shaders };
}

if (import.meta.main) {
  try {
    const { bytes, shaders } = await build();
    console.log(`dist/crgpu.js: ${(bytes / 1024).toFixed(0)} KiB, ${shaders.length} shaders embedded`);
  } finally {
    await esbuild.stop();
  }
}
