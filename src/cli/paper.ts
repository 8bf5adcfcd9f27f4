// deno task paper: the paper's experiment end to end at a size this machine can do. Simulates a DECam-like
// train/test set and an LCO-like test set (0.4 m, 1 m, 2 m classes), trains the four variants with one budget,
// evaluates them beside LACosmic and (when ../shared/models exists) the five published checkpoints, and writes
// <out>/report.md plus one report.html per test set. Every stage is skipped when its output exists, and a killed
// training is resumed, so the command can be re-run after an interruption.
import { numberFlag, outputBiasFlag, parseArgs, UsageError } from "./args.ts";
import { exists } from "./files.ts";
import { main as train } from "./train.ts";
import { Dataset, synthDataset, type SynthPreset } from "../data/dataset.ts";
import { evaluate, type EvalResult } from "../eval/evaluate.ts";
import { lacosmicMethod, type Method, sigclipSweep, unetMethod } from "../eval/methods.ts";
import { markdownTables, writeReport } from "../eval/report.ts";
import { openModel } from "../app/models.ts";
import { PUBLISHED } from "../app/zoo.ts";
import type { UNet } from "../nn/modules/unet.ts";
import { init } from "../nn/tensor.ts";
import { duration } from "../nn/train/progress.ts";

const VARIANTS = ["deepcr", "att-deepcr", "cosmic-conn", "att-cosmic-conn"] as const;

const USAGE = `usage: deno task paper [--out runs/paper] [--epochs 10] [--steps-per-epoch 15] [--batch 16] [--patch 64]
                       [--data quick|default|paper] [--seed 1] [--variants ${VARIANTS.join(",")}]
                       [--published ../shared/models | none] [--sweep 20] [--frames N] [--test-frames N]
                       [--output-bias default|prior|LOGIT]
--sweep: LACosmic sigclip values, log-spaced over the paper's [1, 20] (fewer = faster evaluation).
--frames, --test-frames: science frames simulated for training (DECam) and for each test set (default: the preset's).
--output-bias: initial bias of every variant's output layer, as \`deno task train --output-bias\` (default: PyTorch's).
Defaults fit this 2-core CPU (about 45 min in all: 5–6 min of training per variant, ~17 min of evaluation).
The full-size run (the paper's 20,480 patches of 256², 60 epochs) is for a GPU machine:
  deno task paper --data paper --epochs 60 --steps-per-epoch 0 --patch 256 --out runs/paper-full`;

/** The published checkpoints and how the paper compares them: its four were trained on 3×3-dilated masks (the
 * recipe dilates) and see raw ADU; Cosmic-CoNN's LCO model expects median-subtracted input and undilated masks. */
/** The published checkpoints the paper stage compares with, and their names in its tables (settings: src/app/zoo.ts). */
const PAPER_NAMES: Record<string, string> = {
  "paper:deepcr": "deepCR (published)",
  "paper:att-deepcr": "Att deepCR (published)",
  "paper:cosmic-conn": "Cosmic-CoNN (published)",
  "paper:att-cosmic-conn": "Att Cosmic-CoNN (published)",
  "cosmic-conn:ground-imaging": "Cosmic-CoNN LCO (published)",
};


async function runFinished(dir: string, epochs: number): Promise<boolean> {
  if (!(await exists(`${dir}/log.jsonl`))) return false;
  return (await Deno.readTextFile(`${dir}/log.jsonl`)).trim().split("\n").filter(Boolean).length >= epochs;
}

/** BatchNorm running statistics re-estimated from this many batches when they freeze, in capped-epoch runs. */
const BN_RECALIBRATE = 16;

/**
 * `deno task train` flags giving every variant the same budget. With capped epochs (--steps-per-epoch > 0) BatchNorm's
 * EMA (momentum 0.005, ~600 steps to forget its start) cannot settle before it freezes, so its statistics are
 * re-estimated then, as the quick preset does; uncapped (the paper's full passes) keeps the EMA.
 */
export function trainBudget(
  a: { epochs: string; batch: string; patch: string; seed: string; "steps-per-epoch": string; "output-bias": string },
): string[] {
  const capped = Number(a["steps-per-epoch"]) > 0;
  return [
    "--epochs", a.epochs, "--batch", a.batch, "--patch", a.patch, "--seed", a.seed,
    ...(capped ? ["--steps-per-epoch", a["steps-per-epoch"], "--bn-recalibrate", String(BN_RECALIBRATE)] : []),
    ...(a["output-bias"] !== "default" ? ["--output-bias", a["output-bias"]] : []),
  ];
}

export async function main(argv: string[]): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(USAGE);
    return 0;
  }
  const a = parseArgs(argv, {
    out: "runs/paper",
    epochs: "10",
    "steps-per-epoch": "15",
    batch: "16",
    patch: "64",
    data: "quick",
    seed: "1",
    variants: VARIANTS.join(","),
    published: new URL("../../../shared/models", import.meta.url).pathname,
    sweep: "20",
    frames: "",
    "test-frames": "",
    "output-bias": "default",
  });
  const count = (name: string, text: string): number | undefined =>
    text === "" ? undefined : numberFlag(name, text, { integer: true, min: 1 });
  const frames = count("frames", a.frames), testFrames = count("test-frames", a["test-frames"]);
  for (const k of ["epochs", "batch", "patch"] as const) count(k, a[k]);
  numberFlag("steps-per-epoch", a["steps-per-epoch"], { integer: true, min: 0 });
  numberFlag("seed", a.seed, { integer: true, min: 0 });
  outputBiasFlag(a["output-bias"]);
  const sweep = sigclipSweep(numberFlag("sweep", a.sweep, { integer: true, min: 2 }));
  const variants = a.variants.split(",").map((v) => v.trim());
  for (const v of variants) {
    if (!(VARIANTS as readonly string[]).includes(v)) throw new UsageError(`unknown variant "${v}" (known: ${VARIANTS.join(", ")})`);
  }
  if (!["quick", "default", "paper"].includes(a.data)) throw new UsageError(`--data must be quick, default or paper`);
  const seed = Number(a.seed);
  const out = a.out.replace(/\/+$/, "");
  const t0 = performance.now();
  await init();
  const stages: string[] = [];
  const stage = (s: string) => {
    console.log(`\n== ${s}`);
    stages.push(s);
  };

  // 1. Data.
  const decamDir = `${out}/data/decam`, lcoDir = `${out}/data/lco`;
  for (const [dir, mode] of [[decamDir, "decam"], [lcoDir, "lco"]] as const) {
    if (await exists(`${dir}/dataset.json`)) continue;
    stage(`simulating the ${mode} dataset (${a.data}) → ${dir}`);
    const ts = performance.now();
    await synthDataset({
      out: dir,
      mode,
      preset: a.data as SynthPreset,
      seed: mode === "decam" ? seed : seed + 1000,
      testFrames,
      ...(mode === "decam" && frames ? { frames } : {}),
    });
    console.log(`   ${duration((performance.now() - ts) / 1000)}`);
  }

  // 2. Training, one budget for all variants.
  const epochs = Number(a.epochs);
  const capped = Number(a["steps-per-epoch"]) > 0;
  const budget = trainBudget(a);
  const trainSeconds: Record<string, number> = {};
  for (const v of variants) {
    const dir = `${out}/models/${v}`;
    if (await runFinished(dir, epochs)) continue;
    stage(`training ${v} → ${dir}`);
    const ts = performance.now();
    const resume = await exists(`${dir}/snapshot.safetensors`);
    const args = resume
      ? ["--resume", dir, "--no-eval"]
      : ["--data", decamDir, "--out", dir, "--variant", v, ...budget, "--no-eval"];
    const code = await train(args);
    if (code !== 0) throw new Error(`training ${v} failed (exit ${code}); re-run to resume it`);
    trainSeconds[v] = (performance.now() - ts) / 1000;
  }

  // 3. Evaluation on both test sets.
  const models: { model: UNet; method: Method }[] = [];
  for (const v of variants) {
    const path = `${out}/models/${v}/best.safetensors`;
    const { model, settings } = await openModel(await Deno.readFile(path), path);
    model.eval();
    models.push({
      model,
      method: unetMethod(model, { name: `${v} (ours)`, normalize: settings.normalize, dilate: !settings.dilatedMasks, details: { checkpoint: path } }),
    });
  }
  const publishedFound: string[] = [];
  if (a.published !== "none" && (await exists(a.published))) {
    for (const p of PUBLISHED.filter((x) => PAPER_NAMES[x.name])) {
      const path = `${a.published}/${p.file}`;
      if (!(await exists(path))) continue;
      const { model, settings } = await openModel(await Deno.readFile(path), path);
      model.eval();
      publishedFound.push(p.file);
      const method = unetMethod(model, {
        name: PAPER_NAMES[p.name],
        normalize: settings.normalize,
        dilate: !settings.dilatedMasks,
        details: { checkpoint: path },
      });
      models.push({ model, method });
    }
  } else {
    console.log(`(published checkpoints not found at ${a.published}: comparing our models and LACosmic only)`);
  }
  const results: [string, EvalResult][] = [];
  try {
    for (const [name, dir, subsets] of [["decam", decamDir, ["band"]], ["lco", lcoDir, ["telescope"]]] as const) {
      stage(`evaluating on the ${name} test set`);
      const ts = performance.now();
      const ds = await Dataset.open(dir);
      let last = 0;
      const result = await evaluate(ds, [...models.map((m) => m.method), lacosmicMethod({ sigclips: sweep })], {
        subsets,
        onProgress(p) {
          if (performance.now() - last > 15_000) {
            last = performance.now();
            console.log(`   ${p.method}: ${p.done}/${p.total ?? "?"}`);
          }
        },
      });
      await writeReport(result, `${out}/eval-${name}`);
      console.log(`   ${duration((performance.now() - ts) / 1000)} → ${out}/eval-${name}/report.html`);
      results.push([name, result]);
    }
  } finally {
    for (const m of models) m.model.release();
  }

  // 4. Report.
  const logs: string[] = [];
  for (const v of variants) {
    const lines = (await Deno.readTextFile(`${out}/models/${v}/log.jsonl`)).trim().split("\n").map((l) => JSON.parse(l));
    const best = lines.reduce((b, l) => (l.valLoss < b.valLoss ? l : b));
    const secs = lines.reduce((s, l) => s + l.seconds, 0);
    const patches = lines.reduce((s, l) => s + l.patches, 0);
    logs.push(
      `| ${v} | ${lines.length} | ${patches} | ${duration(secs)} | ${(patches / secs).toFixed(2)} | ` +
        `${best.valLoss.toFixed(5)} (epoch ${best.epoch}) |`,
    );
  }
  const report = [
    `# The paper's experiment at this machine's size`,
    ``,
    `Command: \`deno task paper ${argv.join(" ")}\`. Data: simulated (\`--data ${a.data}\`, seed ${seed}); see`,
    `\`${decamDir}/dataset.json\` and \`${lcoDir}/dataset.json\` for every parameter.`,
    ``,
    `## Training budget (the same for every variant)`,
    ``,
    `${epochs} epochs × ${capped ? `≤ ${a["steps-per-epoch"]}` : "all"} steps of batch ${a.batch}, ` +
    `random ${a.patch}² crops of the 256² chunks with the §2.3 sky augmentation and flips; Adam lr 0.005 with the ` +
    `plateau schedule; BatchNorm variants: batch statistics for the first 40% of epochs, then frozen ` +
    (capped
      ? `(re-estimated from ${BN_RECALIBRATE} batches as they freeze: the EMA cannot settle in so few steps).`
      : `(the EMA of momentum 0.005, as the paper).`),
    a["output-bias"] === "default"
      ? `Output layer initialised as PyTorch does (the paper).`
      : `Output layer bias initialised with \`--output-bias ${a["output-bias"]}\` (not the paper's; see the README).`,
    `Training time is the wall time in the training logs, including any time the machine was shared.`,
    ``,
    `| variant | epochs | patches seen | training time | patches/s | best validation loss |`,
    `|---|---|---|---|---|---|`,
    ...logs,
    ``,
    publishedFound.length ? `Published checkpoints evaluated: ${publishedFound.join(", ")}.` : `No published checkpoints evaluated.`,
    ``,
    ...results.flatMap(([name, r]) => [`## ${name === "decam" ? "DECam-like test set (Table 1)" : "LCO-like test set (Table 2)"}`, ``, markdownTables(r).replace(/^# .*\n/m, "").replace(/^## /gm, "### "), `Plots and cutouts: [eval-${name}/report.html](eval-${name}/report.html).`, ``]),
    `Total time of this invocation: ${duration((performance.now() - t0) / 1000)} (stages: ${stages.length}).`,
    ``,
  ].join("\n");
  await Deno.writeTextFile(`${out}/report.md`, report);
  console.log(`\n${report}\nwritten: ${out}/report.md`);
  return 0;
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (e) {
    console.error(`paper: ${e instanceof Error ? e.message : String(e)}${e instanceof UsageError ? `\n${USAGE}` : ""}`);
    Deno.exit(e instanceof UsageError ? 2 : 1);
  }
}
