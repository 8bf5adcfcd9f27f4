// The output directory of a builder: refuses to mix a new dataset into a non-empty directory (unless `force`,
// which only replaces what a dataset writes), and writes dataset.json last, atomically, so that a directory with a
// dataset.json always holds a complete dataset.
import { DatasetError } from "./errors.ts";
import type { Manifest } from "./manifest.ts";
import { directorySink, memorySink, type ShardSink } from "./writer.ts";

const OURS = /^((train|val|test)-\d{4}\.fits|dataset\.json|\.spill)$/;

export async function prepareOut(dir: string, force: boolean): Promise<ShardSink> {
  const stat = await Deno.stat(dir).catch(() => null);
  if (stat && !stat.isDirectory) throw new DatasetError(dir, "exists and is not a directory");
  if (stat) {
    const names: string[] = [];
    for await (const e of Deno.readDir(dir)) names.push(e.name);
    const foreign = names.filter((n) => !OURS.test(n));
    if (foreign.length > 0) {
      throw new DatasetError(
        dir,
        `is not empty and not a dataset directory (it holds ${foreign.slice(0, 3).join(", ")}…)`,
      );
    }
    if (names.length > 0 && !force) {
      throw new DatasetError(dir, "already holds a dataset: remove it or pass --force to replace it");
    }
    for (const n of names) await Deno.remove(`${dir}/${n}`, { recursive: true });
  } else {
    await Deno.mkdir(dir, { recursive: true });
  }
  return directorySink(dir);
}

export async function finishOut(dir: string, sink: ShardSink, manifest: Manifest): Promise<void> {
  await sink.spill?.close();
  const tmp = `${dir}/dataset.json.tmp`;
  await Deno.writeTextFile(tmp, JSON.stringify(manifest) + "\n");
  await Deno.rename(tmp, `${dir}/dataset.json`);
}

export { memorySink };
