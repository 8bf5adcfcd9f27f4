// Small helpers shared by the command-line tools and benchmarks: flag parsing and writing benchmark results.

/** A bad command line: the tools print its message (with their usage) and exit 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/**
 * The number a flag's text holds, checked: finite, an integer when `integer`, ≥ `min` when given, > 0 when
 * `positive`. A UsageError naming the flag otherwise.
 */
export function numberFlag(
  name: string,
  text: string,
  opts: { integer?: boolean; min?: number; positive?: boolean } = {},
): number {
  const v = Number(text);
  const ok = text.trim() !== "" && Number.isFinite(v) && (!opts.integer || Number.isInteger(v)) &&
    (opts.min === undefined || v >= opts.min) && (!opts.positive || v > 0);
  if (!ok) {
    const what = opts.integer ? "an integer" : "a number";
    const range = opts.positive ? " > 0" : opts.min !== undefined ? ` ≥ ${opts.min}` : "";
    throw new UsageError(`--${name} needs ${what}${range} (got '${text}')`);
  }
  return v;
}

/** `--output-bias`: "default" (PyTorch's initialisation), "prior" (the data's CR fraction) or a logit. */
export function outputBiasFlag(text: string): "default" | "prior" | number {
  if (text === "default" || text === "prior") return text;
  const v = Number(text);
  if (text.trim() === "" || !Number.isFinite(v)) {
    throw new UsageError(`--output-bias must be default, prior or a number (got '${text}')`);
  }
  return v;
}

/** `WIDTHxHEIGHT` (e.g. 2048x4096) as [width, height]. */
export function sizeFlag(text: string, name = "size"): [number, number] {
  const m = /^(\d+)x(\d+)$/.exec(text);
  if (!m) throw new UsageError(`--${name} must be WIDTHxHEIGHT (got '${text}')`);
  return [Number(m[1]), Number(m[2])];
}

/** Parses `--name value` / `--flag` / `--no-flag` against defaults (a boolean default makes a flag). */
export function parseArgs<T extends Record<string, string | boolean>>(argv: string[], defaults: T): T {
  const out: Record<string, string | boolean> = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("--")) throw new UsageError(`unexpected argument "${a}"`);
    const key = a.slice(2);
    if (key.startsWith("no-") && typeof defaults[key.slice(3)] === "boolean") {
      out[key.slice(3)] = false;
    } else if (typeof defaults[key] === "boolean") {
      out[key] = true;
    } else if (key in defaults) {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`--${key} needs a value`);
      out[key] = v;
    } else {
      throw new UsageError(`unknown option --${key} (known: ${Object.keys(defaults).map((k) => `--${k}`).join(", ")})`);
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
