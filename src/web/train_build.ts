// How build.ts builds the training page (dist/train.html + dist/train.js); run by Deno, never bundled.
// dist/train.js is self-contained like dist/bench.js: the library, the trainer, the simulator and every WGSL file
// (through src/browser.ts) in one bundle, because the Trainer, synthDataset and Dataset are not in dist/crgpu.js,
// and importing them beside crgpu.js would make a second runtime without the embedded shaders. So it must be built
// WITHOUT build.ts's libraryAsBundle plugin. The page also starts the same file as a module Worker to simulate data.
import * as esbuild from "esbuild";

export const TRAIN_ENTRY = "src/web/train.ts";
export const TRAIN_OUTPUTS = ["dist/train.html", "dist/train.js"];
/** Static files copied into dist/ as they are. */
export const TRAIN_COPIED: [string, string][] = [["src/web/train.html", "dist/train.html"]];

/**
 * Modules whose `Deno.*` calls may sit in dist/train.js: the on-disk paths of the dataset code (Dataset.open,
 * synthDataset's `out` directory, buildDataset's FITS reads), which the page never takes (no `out`, fromMemory).
 * Any other module with a bare `Deno.` call fails the build, as build.ts's check does for the library bundle.
 */
const DISK_ONLY = [
  "src/data/dataset/loader.ts",
  "src/data/dataset/output.ts",
  "src/data/dataset/writer.ts",
  "src/data/dataset/build.ts",
];

/** Lines of `code` with a `Deno.` call outside DISK_ONLY modules (esbuild marks each module with `// path`). */
export function unexpectedDenoCalls(code: string): string[] {
  let module = "";
  const bad: string[] = [];
  for (const line of code.split("\n")) {
    const m = /^\/\/ (\S+\.ts)$/.exec(line);
    if (m) module = m[1];
    else if (
      /(^|[^.\w])Deno\.\w/.test(line) && !DISK_ONLY.includes(module) && !/globalThis\)?\.Deno|typeof Deno/.test(line)
    ) {
      bad.push(`${module}: ${line.trim()}`);
    }
  }
  return bad;
}

/** Builds dist/train.js and copies dist/train.html. `common`: build.ts's options (browserOptions + sourcemap etc.). */
export async function buildTrainPage(common: esbuild.BuildOptions, path: (rel: string) => string): Promise<void> {
  const r = await esbuild.build({
    ...common,
    metafile: true,
    entryPoints: [path(TRAIN_ENTRY)],
    outfile: path("dist/train.js"),
  });
  const cli = Object.keys(r.metafile.inputs).filter((f) => f.startsWith("src/cli/"));
  if (cli.length) throw new Error(`dist/train.js pulls in CLI code: ${cli.join(", ")}`);
  const bad = unexpectedDenoCalls(await Deno.readTextFile(path("dist/train.js")));
  if (bad.length) throw new Error(`dist/train.js calls Deno.* outside the dataset's disk paths:\n${bad.join("\n")}`);
  for (const [from, to] of TRAIN_COPIED) await Deno.copyFile(path(from), path(to));
}
