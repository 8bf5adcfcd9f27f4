// WGSL sources live in shaders/*.wgsl. In Deno they are read from disk; the browser bundle registers them
// (esbuild's text loader embeds every file) before the runtime starts.
const sources = new Map<string, string>();

/** Registers WGSL sources by name (file name without `.wgsl`); used by the browser bundle. */
export function registerShaders(files: Record<string, string>): void {
  for (const [name, code] of Object.entries(files)) sources.set(name, code);
}

/** Reads every shaders/*.wgsl file when running under Deno and nothing is registered yet. */
export async function loadShaders(): Promise<void> {
  const deno = (globalThis as { Deno?: typeof Deno }).Deno;
  if (!deno) {
    if (sources.size === 0) throw new Error("no WGSL registered: import the crgpu bundle, which embeds shaders/");
    return;
  }
  const dir = new URL("../../shaders/", import.meta.url);
  for await (const entry of deno.readDir(dir)) {
    if (!entry.isFile || !entry.name.endsWith(".wgsl")) continue;
    const name = entry.name.slice(0, -".wgsl".length);
    if (!sources.has(name)) sources.set(name, await deno.readTextFile(new URL(entry.name, dir)));
  }
}

export function shaderSource(name: string): string {
  const code = sources.get(name);
  if (code === undefined) throw new Error(`unknown shader "${name}": no shaders/${name}.wgsl`);
  return code;
}

export function shaderNames(): string[] {
  return [...sources.keys()].sort();
}
