// deno task train: the paper's training recipe on a dataset folder or, by default, on simulated DECam-like data.
//   deno task train                                   quick preset on simulated data, then the evaluation table
//   deno task train --variant deepcr --data <dir> --epochs 60 --out runs/deepcr
//   deno task train --resume runs/deepcr              continue a killed run exactly
import { numberFlag, outputBiasFlag, parseArgs, UsageError } from "./args.ts";
import { exists, writeAtomic } from "./files.ts";
import { init, rt } from "../nn/tensor.ts";
import { loadModel, saveModel } from "../nn/checkpoint/model.ts";
import { VARIANTS, type VariantName } from "../nn/modules/unet.ts";
import { checkConfig, DEFAULTS, LOSSES, type LossName, PRESETS, type TrainConfig } from "../nn/train/config.ts";
import { decodeSnapshot, encodeSnapshot } from "../nn/train/snapshot_io.ts";
import { duration, progressLine } from "../nn/train/progress.ts";
import { type EpochLog, Trainer } from "../nn/train/trainer.ts";
import { lossCurveSvg } from "../eval/loss_curve.ts";
import { parseNormalize } from "../nn/detect/prep.ts";
import { Dataset, synthDataset } from "../data/dataset.ts";
import { chooseThreshold, evaluateRun } from "./train_eval.ts";
import { crFraction, priorLogit } from "../nn/train/prior.ts";

const USAGE = `usage: deno task train [--preset quick|paper] [--variant NAME] [--data DIR] [--out DIR] [--epochs N]
                       [--batch 16] [--lr 0.005] [--patch N] [--seed N] [--loss bce|median-weighted-bce]
                       [--steps-per-epoch N] [--save-every N] [--patience 4] [--output-bias default|prior|LOGIT]
                       [--bn-recalibrate N]
                       [--normalize none|median|zscore|sigma|scale:K] [--cr-crops SHARE] [--init CKPT]
                       [--schedule plateau|cosine]
                       [--no-flips] [--no-sky] [--no-eval] [--quiet]
       deno task train --resume DIR [--data DIR]

With no arguments: the quick preset (${PRESETS.quick.about}) on simulated DECam-like data
generated into <out>/data, then the evaluation table (model vs LACosmic on the simulated test set).

--variant     ${Object.keys(VARIANTS).filter((v) => v !== "cosmic-conn-lco").join(", ")} (default ${DEFAULTS.variant})
--data        dataset folder from \`deno task dataset build|synth\` (default: simulate one for the preset)
--out         run folder (default runs/<variant>-<date>): run.json, log.jsonl, loss.svg, best.safetensors,
              snapshot.safetensors (resume point), eval/
--preset      ${Object.entries(PRESETS).map(([k, p]) => `${k}: ${p.about}`).join("\n              ")}
--output-bias default: PyTorch's initialisation (the paper); prior: logit of the training data's CR fraction
              (RetinaNet's prior; lets the network rank the CR pixels it is surest of, see the README); or a number
--bn-recalibrate N  BatchNorm variants: re-estimate the running statistics from N training batches when they
              freeze (0, the paper: keep the EMA; the quick preset: 16; for runs of a few hundred steps)
--cr-crops S  share S in [0, 1] of the training crops placed over a CR pixel (CR-aware sampling; default 0)
--schedule    plateau (default, the paper's) or cosine: LR decays from --lr to 1% of it over the run's steps
--init CKPT   start from this checkpoint's weights (same variant; fine-tuning), fresh optimizer and schedule
--resume DIR  continue the run in DIR from its last snapshot (same data order, optimizer state, LR schedule);
              --data points it at the same dataset in another place (checked against the run's manifest copy)
Recipe: Adam; LR ×0.1 when the validation loss has not improved by 0.1% for 4 epochs (PyTorch's
ReduceLROnPlateau, patience 4; --patience N changes it for runs of short epochs); BatchNorm variants use batch statistics for the first 40% of epochs, then frozen
running statistics; 1% of the training chunks are the validation set (made by the dataset builder).`;


interface RunFile {
  config: TrainConfig;
  preset: string | null;
  data: string;
  synthesized: boolean;
  command: string;
  started: string;
  /** Checkpoint the weights started from (--init). */
  init?: string;
}

const num = (name: string, text: string, integer = true): number => numberFlag(name, text, { integer });

const FLAGS = {
  preset: "",
  variant: "",
  data: "",
  out: "",
  epochs: "",
  batch: "",
  lr: "",
  patch: "",
  seed: "",
  loss: "",
  "steps-per-epoch": "",
  "save-every": "",
  patience: "",
  "output-bias": "default",
  "bn-recalibrate": "",
  normalize: "",
  "cr-crops": "",
  schedule: "",
  init: "",
  resume: "",
  flips: true,
  sky: true,
  eval: true,
  quiet: false,
};

const parse = (argv: string[]) => parseArgs(argv, FLAGS);

function configFrom(a: typeof FLAGS): { config: TrainConfig; preset: string | null } {
  const noData = a.data === "";
  const presetName = a.preset !== "" ? a.preset : noData ? "quick" : null;
  if (presetName !== null && !Object.hasOwn(PRESETS, presetName)) {
    throw new UsageError(`unknown --preset "${presetName}" (known: ${Object.keys(PRESETS).join(", ")})`);
  }
  const c: TrainConfig = { ...DEFAULTS, ...(presetName ? PRESETS[presetName].config : {}) };
  if (a.variant !== "") {
    if (!Object.hasOwn(VARIANTS, a.variant)) throw new UsageError(`unknown --variant "${a.variant}" (known: ${Object.keys(VARIANTS).join(", ")})`);
    c.variant = a.variant as VariantName;
  }
  if (a.epochs !== "") c.epochs = num("epochs", a.epochs);
  if (a.batch !== "") c.batch = num("batch", a.batch);
  if (a.lr !== "") c.lr = num("lr", a.lr, false);
  if (a.patch !== "") c.patch = num("patch", a.patch);
  if (a.seed !== "") c.seed = num("seed", a.seed);
  if (a["steps-per-epoch"] !== "") c.stepsPerEpoch = num("steps-per-epoch", a["steps-per-epoch"]);
  if (a["save-every"] !== "") c.saveEvery = num("save-every", a["save-every"]);
  if (a.patience !== "") c.plateau = { ...c.plateau, patience: num("patience", a.patience) };
  if (a["bn-recalibrate"] !== "") c.bnRecalibrate = num("bn-recalibrate", a["bn-recalibrate"]);
  const bias = outputBiasFlag(a["output-bias"]);
  if (typeof bias === "number") c.outputBias = bias;
  if (a.loss !== "") {
    if (!LOSSES.includes(a.loss as LossName)) throw new UsageError(`--loss must be one of ${LOSSES.join(", ")}`);
    c.loss = a.loss as LossName;
  }
  if (a.normalize !== "") {
    try {
      c.normalize = parseNormalize(a.normalize);
    } catch (e) {
      throw new UsageError(`--normalize: ${(e as Error).message}`);
    }
  }
  if (a["cr-crops"] !== "") {
    const v = Number(a["cr-crops"]);
    if (a["cr-crops"].trim() === "" || !(v >= 0 && v <= 1)) {
      throw new UsageError(`--cr-crops needs a share in [0, 1] (got '${a["cr-crops"]}')`);
    }
    c.crCrops = v;
  }
  if (a.schedule !== "") {
    if (a.schedule !== "plateau" && a.schedule !== "cosine") {
      throw new UsageError(`--schedule must be plateau or cosine (got '${a.schedule}')`);
    }
    c.schedule = a.schedule;
  }
  if (!a.flips) c.flips = false;
  if (!a.sky) c.sky = false;
  try {
    checkConfig(c);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  return { config: c, preset: presetName };
}



/** Throws unless `now` holds the dataset the run recorded (same source and chunk counts), checked by its manifest
 * written into the run folder when it started (or, for older runs, by the old path if it still exists). */
async function sameDataset(recorded: string, now: string, runPath: string): Promise<void> {
  const read = async (dir: string) => {
    try {
      const m = JSON.parse(await Deno.readTextFile(`${dir}/dataset.json`));
      return JSON.stringify({ source: m.source, patch: m.patch, splits: Object.fromEntries(
        Object.entries(m.splits as Record<string, { chunks: number }>).map(([k, v]) => [k, v.chunks]),
      ) });
    } catch {
      return null;
    }
  };
  const mine = await read(now);
  if (mine === null) throw new UsageError(`--resume --data ${now}: no readable dataset.json there`);
  const runDir = runPath.replace(/\/run\.json$/, "");
  const kept = (await read(`${runDir}/data-manifest`)) ?? (await read(recorded));
  if (kept === null) {
    throw new UsageError(`--resume --data ${now}: ${runDir} has no copy of its dataset's manifest to check it against`);
  }
  if (kept !== mine) throw new UsageError(`--resume --data ${now} is not the dataset this run trained on (${recorded})`);
}

function stamp(): string {
  return new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
}

export async function main(argv: string[]): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(USAGE);
    return 0;
  }
  const enc = new TextEncoder();
  try {
    const a = parse(argv);
    let run: RunFile;
    let out: string;
    const resuming = a.resume !== "";
    if (resuming) {
      const others = argv.filter((x) => x.startsWith("--") && !["--resume", "--quiet", "--no-eval", "--data"].includes(x));
      if (others.length) throw new UsageError(`--resume takes the run's own settings; drop ${others.join(", ")}`);
      out = a.resume;
      const runPath = `${out}/run.json`;
      if (!(await exists(runPath))) throw new UsageError(`--resume ${out}: no run.json there (not a training run folder)`);
      run = JSON.parse(await Deno.readTextFile(runPath)) as RunFile;
      // The same dataset in another place (another machine): its manifest must say it is the same data.
      if (a.data !== "" && a.data !== run.data) {
        await sameDataset(run.data, a.data, runPath);
        run.data = a.data;
      }
      if (!(await exists(`${out}/snapshot.safetensors`))) {
        throw new UsageError(`--resume ${out}: no snapshot.safetensors yet (the run stopped before its first save)`);
      }
    } else {
      const { config, preset } = configFrom(a);
      out = a.out !== "" ? a.out : `runs/${config.variant}-${stamp()}`;
      if (await exists(`${out}/snapshot.safetensors`)) {
        throw new UsageError(`${out} already holds a run: continue it with --resume ${out}, or pick another --out`);
      }
      await Deno.mkdir(out, { recursive: true });
      const synthesized = a.data === "";
      run = {
        config,
        preset,
        data: synthesized ? `${out}/data` : a.data,
        synthesized,
        command: `deno task train ${argv.join(" ")}`.trim(),
        ...(a.init !== "" ? { init: a.init } : {}),
        started: new Date().toISOString(),
      };
    }
    const log = (s: string) => {
      if (!a.quiet) console.log(s);
    };
    await init();
    const t0 = performance.now();
    if (run.synthesized && !(await exists(`${run.data}/dataset.json`))) {
      const synth = run.preset ? PRESETS[run.preset].synth : "quick";
      log(`simulating a DECam-like dataset (preset ${synth}, seed ${run.config.seed}) into ${run.data} …`);
      const ts = performance.now();
      await synthDataset({ out: run.data, preset: synth, mode: "decam", seed: run.config.seed });
      log(`  done in ${duration((performance.now() - ts) / 1000)}`);
    }
    const ds = await Dataset.open(run.data);
    if (!resuming && a["output-bias"] === "prior") {
      const fraction = await crFraction(ds);
      run.config.outputBias = priorLogit(fraction);
      log(`output bias ${run.config.outputBias.toFixed(3)} = logit of the CR fraction ${(100 * fraction).toFixed(3)}%`);
    }
    if (!resuming) {
      await writeAtomic(`${out}/run.json`, JSON.stringify(run, null, 1) + "\n");
      // A copy of the dataset's manifest, so that --resume --data can check a copy of the data made elsewhere.
      await Deno.mkdir(`${out}/data-manifest`, { recursive: true });
      await writeAtomic(`${out}/data-manifest/dataset.json`, await Deno.readTextFile(`${run.data}/dataset.json`));
    }
    const trainer = new Trainer(run.config, ds);
    const c = run.config;
    if (!resuming && a.init !== "") {
      const init = await loadModel(await Deno.readFile(a.init).catch(() => {
        throw new UsageError(`--init ${a.init}: cannot read the file`);
      }), a.init, c.variant);
      await trainer.initFrom(init.model);
      init.model.release();
      log(`initial weights from ${a.init}`);
    }
    if (resuming) {
      const snap = decodeSnapshot(await Deno.readFile(`${out}/snapshot.safetensors`), `${out}/snapshot.safetensors`);
      trainer.restore(snap);
      log(`resuming ${out} at epoch ${snap.state.epoch + 1}, step ${snap.state.step}`);
    }
    log(
      `training ${c.variant} on ${run.data}: ${ds.size("train")} train / ${ds.size("val")} val chunks of ` +
        `${ds.patch}², crops ${c.patch}², batch ${c.batch}, ${trainer.stepsPerEpoch} steps × ${c.epochs} epochs, ` +
        `lr ${c.lr}, loss ${c.loss} → ${out}`,
    );
    const tty = Deno.stdout.isTerminal();
    let lastPrint = 0;
    const writeLogs = async (history: readonly EpochLog[]) => {
      await writeAtomic(`${out}/log.jsonl`, history.map((h) => JSON.stringify(h)).join("\n") + (history.length ? "\n" : ""));
      await writeAtomic(`${out}/loss.svg`, lossCurveSvg(history, `${c.variant}: loss per epoch`));
    };
    await trainer.run({
      onStep(info) {
        if (a.quiet) return;
        const line = progressLine(info, c.epochs);
        if (tty) Deno.stdout.writeSync(enc.encode(`\r${line}`));
        else if (performance.now() - lastPrint > 10_000 || info.step === info.steps) {
          lastPrint = performance.now();
          console.log(line);
        }
      },
      async onEpoch(e) {
        if (tty && !a.quiet) Deno.stdout.writeSync(enc.encode("\n"));
        const g = e.gpu;
        log(
          `epoch ${e.epoch}: train ${e.trainLoss.toFixed(5)}  val ${e.valLoss.toFixed(5)}${e.best ? " (best)" : ""}  ` +
            `lr ${e.lr}  BN ${e.bn}  ${e.patchesPerSecond.toFixed(2)} patches/s  ` +
            `GPU ${g.liveBuffers} buffers / ${(g.liveBytes / 2 ** 20).toFixed(1)} MiB live, ${(g.poolBytes / 2 ** 20).toFixed(1)} MiB pooled`,
        );
        await writeLogs(trainer.state.history);
      },
      async onSnapshot(s) {
        await writeAtomic(`${out}/snapshot.safetensors`, encodeSnapshot(s));
      },
      async onBest(t, e) {
        const bytes = await saveModel(t.model, c.variant, {
          normalize: c.normalize,
          dilated_masks: "true",
          recipe: JSON.stringify(c),
          epoch: String(e.epoch),
          val_loss: String(e.valLoss),
          data: run.data,
          command: run.command,
          trained_by: "crgpu deno task train",
          ...(run.init ? { init: run.init } : {}),
        });
        await writeAtomic(`${out}/best.safetensors`, bytes);
      },
    });
    await writeLogs(trainer.state.history);
    const s = trainer.state;
    log(
      `trained in ${duration((performance.now() - t0) / 1000)}; best val loss ${s.bestVal?.toFixed(5)} at epoch ` +
        `${s.bestEpoch} → ${out}/best.safetensors`,
    );
    trainer.release();
    const chosen = await chooseThreshold(`${out}/best.safetensors`, ds);
    if (chosen) log(`operating threshold p > ${chosen.threshold.toPrecision(4)} (best validation F1 ${chosen.f1.toFixed(4)}) in its metadata`);
    if (a.eval) {
      const table = await evaluateRun(`${out}/best.safetensors`, ds, `${out}/eval`, (m) => log(m));
      console.log(table);
    }
    await rt().sync();
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`train: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    console.error(`train: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
