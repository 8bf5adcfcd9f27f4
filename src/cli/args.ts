// Small helpers shared by the command-line tools and benchmarks: flag parsing and writing benchmark results.

/** Parses `--name value` / `--flag` / `--no-flag` against defaults (a boolean default makes a flag). */
export function parseArgs<T extends Record<string, string | boolean>>(argv: string[], defaults: T): T {
  const out: Record<string, string | boolean> = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("--")) throw new Error(`unexpected argument "${a}"`);
    const key = a.slice(2);
    if (key.startsWith("no-") && typeof defaults[key.slice(3)] === "boolean") {
      out[key.slice(3)] = false;
    } else if (typeof defaults[key] === "boolean") {
      out[key] = true;
    } else if (key in defaults) {
      const v = argv[++i];
      if (v === undefined) throw new Error(`--${key} needs a value`);
      out[key] = v;
    } else {
      throw new Error(`unknown option --${key} (known: ${Object.keys(defaults).map((k) => `--${k}`).join(", ")})`);
    }
  }
  return out as T;
}

/** Writes `bench/results/<name>-<adapter>.json` (atomically) and returns its path. */
export async function writeResults(name: string, report: { adapter: string }): Promise<string> {
  const slug = report.adapter.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "").slice(0, 40);
  const dir = new URL("../../bench/results/", import.meta.url);
  await Deno.mkdir(dir, { recursive: true });
  const file = new URL(`${name}-${slug}.json`, dir);
  const tmp = new URL(`${name}-${slug}.json.tmp`, dir);
  await Deno.writeTextFile(tmp, JSON.stringify({ ...report, date: new Date().toISOString() }, null, 1) + "\n");
  await Deno.rename(tmp, file);
  return file.pathname;
}
