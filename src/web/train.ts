// The training page (dist/train.html): a DECam-like dataset simulated in this browser (synthDataset, in memory, in a
// worker so the page stays live), a UNet trained on it with the same Trainer as `deno task train` on this browser's
// WebGPU, live progress (loss, patches/s, ETA, GPU pool), a loss curve per step and per epoch, and at the end the best
// and last models as safetensors downloads and the final model's prediction on one validation chunk.
// Query string (automation, e.g. test/browser/train_page_check.ts): ?auto=1 starts at once; frames, size, chunk,
// seed, variant, epochs, steps, batch, patch, lr preset the form. window.__train holds the run's status.
// One self-contained bundle (dist/train.js) with the library and its WGSL inside: the page loads it as a module, and
// a Worker loads the same file to simulate the data (the worker branch is chosen by the absence of `document`).
import "../browser.ts"; // registers the embedded WGSL
import { DatasetError } from "../data/dataset/errors.ts";
import { Dataset } from "../data/dataset/loader.ts";
import type { SynthOptions } from "../data/dataset/synth.ts";
import { GpuError } from "../kernels/runtime.ts";
import { saveModel } from "../nn/checkpoint/model.ts";
import { detect } from "../nn/detect.ts";
import { type VariantName, VARIANTS } from "../nn/modules/unet.ts";
import { init, rt } from "../nn/tensor.ts";
import type { TrainConfig } from "../nn/train/config.ts";
import { duration } from "../nn/train/progress.ts";
import { type EpochLog, type StepInfo, Trainer } from "../nn/train/trainer.ts";
import { greyLevels } from "./stretch.ts";
import { simulate, Stopped, workerMain } from "./train_data.ts";
import {
  checkSettings,
  chunkPlan,
  DEFAULT_SETTINGS,
  NUMBERS,
  QUICK,
  type Settings,
  TINY_SETTINGS,
} from "./train_settings.ts";
import { heat, lossChartSvg, paintCanvas } from "./train_view.ts";

// ---- the page ----

interface StepRecord {
  epoch: number;
  step: number;
  globalStep: number;
  loss: number;
  /** Seconds this step took (the first also compiles the pipelines). */
  seconds: number;
}

/** What the headless test reads: window.__train. */
interface TrainStatus {
  state: "loading" | "ready" | "generating" | "training" | "predicting" | "done" | "stopped" | "error";
  adapter: string;
  settings: Settings | null;
  data: { train: number; val: number; chunk: number; seconds: number; where: "worker" | "page" } | null;
  steps: StepRecord[];
  epochs: EpochLog[];
  /** Mean seconds per optimizer step after the first (which also compiles the pipelines). */
  secondsPerStep: number | null;
  trainSeconds: number | null;
  prediction: { truthPixels: number; predictedPixels: number; overlap: number; seconds: number } | null;
  gpu: { liveBuffers: number; liveBytes: number; poolBytes: number } | null;
  error: string | null;
}

const status: TrainStatus = {
  state: "loading",
  adapter: "",
  settings: null,
  data: null,
  steps: [],
  epochs: [],
  secondsPerStep: null,
  trainSeconds: null,
  prediction: null,
  gpu: null,
  error: null,
};

const $ = <T extends HTMLElement = HTMLElement>(id: string) => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`train.html has no #${id}`);
  return el as T;
};

function setState(s: TrainStatus["state"]): void {
  status.state = s;
  document.body.dataset.state = s;
}

function message(text: string, kind: "info" | "error" = "info"): void {
  const el = $("message");
  el.textContent = text;
  el.className = text ? kind : "";
}

/** Our modules' errors name the problem (and file); anything else is shown with its type and logged. */
function fail(e: unknown): void {
  if (e instanceof Stopped) {
    message(e.message);
    text("phase", "Stopped");
    return setState("stopped");
  }
  const known = e instanceof RangeError || e instanceof GpuError || e instanceof DatasetError ||
    (e instanceof Error && e.constructor === Error);
  const why = e instanceof Error ? (known ? e.message : `${e.name}: ${e.message}`) : String(e);
  status.error = why;
  message(why, "error");
  setState("error");
  if (!known) console.error(e);
}

const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
const text = (id: string, s: string) => void ($(id).textContent = s);
const bar = (id: string, f: number) =>
  void ($(id).firstElementChild as HTMLElement).style.setProperty(
    "width",
    `${(100 * Math.min(1, Math.max(0, f))).toFixed(1)}%`,
  );

function readSettings(): Settings {
  const s = { ...DEFAULT_SETTINGS, variant: $<HTMLSelectElement>("variant").value as VariantName };
  for (const k of NUMBERS) s[k] = Number($<HTMLInputElement>(k).value);
  return s;
}

function showPlan(): void {
  const s = readSettings(), bad = checkSettings(s);
  if (bad.length) {
    text("data-plan", bad.join("; "));
    return;
  }
  const p = chunkPlan(s), steps = Math.min(s.steps, Math.floor(p.train / s.batch));
  text(
    "data-plan",
    `≈ ${p.train} train + ${p.val} val chunks of ${s.chunk}² → ${steps} step(s) per epoch ` +
      `(chunks with too many bad pixels are dropped)`,
  );
}

let trainer: Trainer | null = null;
let stopRequested = false;
/** Aborts the data simulation (its worker) when Stop is pressed. */
let dataAbort: AbortController | null = null;

function downloadButton(id: string, bytes: Uint8Array, name: string): void {
  const b = $<HTMLButtonElement>(id);
  b.disabled = false;
  b.onclick = () => {
    const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type: "application/octet-stream" }));
    const a = document.createElement("a");
    a.href = url;
    a.download = name;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  };
}

function showGpu(): void {
  const pool = rt().pool;
  status.gpu = { liveBuffers: pool.liveCount, liveBytes: pool.liveBytes, poolBytes: pool.liveBytes + pool.freeBytes };
  text("s-buffers", String(pool.liveCount));
  text("s-live", mib(pool.liveBytes));
  text("s-pool", mib(pool.liveBytes + pool.freeBytes));
}

async function run(): Promise<void> {
  const s = readSettings(), bad = checkSettings(s);
  if (bad.length) throw new RangeError(bad.join("; "));
  trainer?.release();
  trainer = null;
  Object.assign(status, {
    settings: s,
    data: null,
    steps: [],
    epochs: [],
    secondsPerStep: null,
    trainSeconds: null,
    prediction: null,
    error: null,
  });
  stopRequested = false;
  $<HTMLButtonElement>("start").disabled = true;
  $<HTMLButtonElement>("stop").disabled = false;
  $("result").hidden = true;
  $("epochs-table").innerHTML = `<tr><td colspan="7" class="small">no epoch yet</td></tr>`;
  for (const id of ["download-best", "download-last"]) $<HTMLButtonElement>(id).disabled = true;
  bar("data-bar", 0);
  bar("train-bar", 0);
  drawChart();

  // 1. Data.
  setState("generating");
  text("phase", "Simulating data");
  message("");
  const t0 = performance.now();
  let framesDone = 0;
  const synth: SynthOptions = {
    mode: "decam",
    preset: "quick",
    seed: s.seed,
    frames: s.frames,
    testFrames: 0,
    width: s.size,
    height: s.size,
    patch: s.chunk,
  };
  dataAbort = new AbortController();
  const { manifest, shards, where } = await simulate(synth, import.meta.url, (m) => {
    bar("data-bar", ++framesDone / s.frames);
    text("phase-detail", `frame ${framesDone}/${s.frames}: ${m}`);
  }, dataAbort.signal).finally(() => (dataAbort = null));
  const ds = Dataset.fromMemory(manifest, shards);
  const dataSeconds = (performance.now() - t0) / 1000;
  status.data = { train: ds.size("train"), val: ds.size("val"), chunk: ds.patch, seconds: dataSeconds, where };
  bar("data-bar", 1);
  if (stopRequested) throw new Stopped("stopped before training");

  // 2. Training.
  const config: TrainConfig = {
    ...QUICK,
    variant: s.variant,
    epochs: s.epochs,
    stepsPerEpoch: s.steps,
    batch: s.batch,
    patch: s.patch,
    lr: s.lr,
    seed: s.seed,
  };
  trainer = new Trainer(config, ds);
  const t = trainer, steps = t.stepsPerEpoch, total = steps * config.epochs;
  setState("training");
  text("phase", `Training ${s.variant}`);
  text(
    "phase-detail",
    `${status.data.train} train / ${status.data.val} val chunks of ${ds.patch}² made in ` +
      `${dataSeconds.toFixed(1)} s; ${config.batch} × ${config.patch}² crops, ${steps} steps × ${config.epochs} epochs`,
  );
  let best: Uint8Array | null = null;
  const meta = (extra: Record<string, string>) => ({
    normalize: "none",
    dilated_masks: "true",
    recipe: JSON.stringify(config),
    data: JSON.stringify({ generator: "synthDataset", ...synth }),
    trained_by: "crgpu browser training page (dist/train.html)",
    ...extra,
  });
  const tTrain = performance.now();
  let last = tTrain;
  try {
    await t.run({
      onStep(i: StepInfo) {
        const now = performance.now();
        status.steps.push({
          epoch: i.epoch + 1,
          step: i.step,
          globalStep: status.steps.length + 1,
          loss: i.loss,
          seconds: (now - last) / 1000,
        });
        last = now;
        const later = status.steps.slice(1);
        status.secondsPerStep = later.length ? later.reduce((a, r) => a + r.seconds, 0) / later.length : null;
        text("s-epoch", `${i.epoch + 1} / ${config.epochs}`);
        text("s-step", `${i.step} / ${i.steps}`);
        text("s-total", `${status.steps.length} / ${total}`);
        text("s-loss", i.loss.toFixed(4));
        text("s-rate", i.patchesPerSecond.toFixed(2));
        text("s-per-step", (status.secondsPerStep ?? status.steps[0].seconds).toFixed(2));
        text("s-eta", duration(i.eta));
        text("s-elapsed", duration((now - tTrain) / 1000));
        text("s-lr", String(i.lr));
        bar("train-bar", status.steps.length / total);
        showGpu();
        drawChart();
        if (stopRequested) throw new Stopped("stopped");
      },
      onEpoch(e: EpochLog) {
        status.epochs.push(e);
        last = performance.now(); // validation time is not a step's
        addEpochRow(e);
        drawChart();
        showGpu();
      },
      async onBest(tr: Trainer, e: EpochLog) {
        best = await saveModel(tr.model, config.variant, meta({ epoch: String(e.epoch), val_loss: String(e.valLoss) }));
      },
    });
  } catch (e) {
    if (!(e instanceof Stopped)) throw e;
  }
  status.trainSeconds = (performance.now() - tTrain) / 1000;
  const stopped = stopRequested;

  // 3. Result: downloads and a prediction.
  setState("predicting");
  text("phase", "Predicting a validation chunk");
  const lastEpoch = status.epochs.at(-1);
  const lastBytes = await saveModel(
    t.model,
    config.variant,
    meta({
      epoch: String(lastEpoch?.epoch ?? 0),
      steps: String(t.state.globalStep),
      ...(lastEpoch ? { val_loss: String(lastEpoch.valLoss) } : {}),
    }),
  );
  $("result").hidden = false;
  if (best) downloadButton("download-best", best, `${config.variant}-best.safetensors`);
  downloadButton("download-last", lastBytes, `${config.variant}-last.safetensors`);
  await showPrediction(t, ds);
  const b = t.state.bestEpoch;
  text(
    "result-info",
    `${status.steps.length} steps in ${duration(status.trainSeconds)} ` +
      `(${(status.secondsPerStep ?? 0).toFixed(2)} s per step after the first); ` +
      (b
        ? `best validation loss ${t.state.bestVal!.toFixed(5)} at epoch ${b}`
        : "stopped before the first validation") +
      `. Checkpoints: safetensors with metadata variant, normalize=none, recipe — load them in the detection page or ` +
      `\`deno task detect --model\`.`,
  );
  t.release();
  trainer = null;
  showGpu();
  text("phase", stopped ? "Stopped" : "Done");
  setState(stopped ? "stopped" : "done");
}

function addEpochRow(e: EpochLog): void {
  const body = $("epochs-table");
  if (status.epochs.length === 1) body.innerHTML = "";
  if (e.best) { for (const tr of body.querySelectorAll("tr.best")) tr.classList.remove("best"); }
  const tr = document.createElement("tr");
  if (e.best) tr.className = "best";
  for (
    const v of [
      String(e.epoch),
      e.trainLoss.toFixed(4),
      e.valLoss.toFixed(4),
      String(e.lr),
      e.bn,
      e.patchesPerSecond.toFixed(2),
      e.seconds.toFixed(1),
    ]
  ) {
    const td = document.createElement("td");
    td.textContent = v;
    tr.append(td);
  }
  body.append(tr);
}

function drawChart(): void {
  const s = status.settings;
  $("chart").innerHTML = lossChartSvg({
    steps: status.steps,
    epochs: status.epochs,
    stepsPerEpoch: trainer?.stepsPerEpoch ?? s?.steps ?? 1,
    epochCount: s?.epochs ?? 1,
  });
}

// ---- prediction on one validation chunk ----

async function showPrediction(t: Trainer, ds: Dataset): Promise<void> {
  // The validation chunk with the most CR pixels (val is small: 1 % of the chunks).
  let chosen: { image: Float32Array; mask: Uint8Array; ignore: Uint8Array | null; cr: number; frame: string } | null =
    null;
  for await (const c of ds.chunks("val")) {
    const cr = c.mask.reduce((a, v) => a + v, 0);
    if (!chosen || cr > chosen.cr) chosen = { ...c, cr, frame: `${c.info.frame} (${c.info.x}, ${c.info.y})` };
  }
  if (!chosen) return;
  const side = ds.patch, t0 = performance.now();
  const { probabilities: prob } = await detect(t.model, chosen.image, side, side, { normalize: "none" });
  const seconds = (performance.now() - t0) / 1000;
  const { grey } = greyLevels(chosen.image, "zscale");
  const { mask, ignore } = chosen;
  let predicted = 0, overlap = 0;
  for (let i = 0; i < prob.length; i++) {
    if (prob[i] > 0.5) {
      predicted++;
      if (mask[i]) overlap++;
    }
  }
  status.prediction = { truthPixels: chosen.cr, predictedPixels: predicted, overlap, seconds };
  const paint = (id: string, side: number, colour: (i: number) => [number, number, number]) =>
    paintCanvas($<HTMLCanvasElement>(id), side, colour);
  paint("c-image", side, (i) => [grey[i], grey[i], grey[i]]);
  paint(
    "c-truth",
    side,
    (i) => (mask[i] ? [255, 40, 120] : ignore?.[i] ? [40, 60, 110] : [grey[i] >> 2, grey[i] >> 2, grey[i] >> 2]),
  );
  // Colour scale 0…1, or 0…max p when the model is not yet confident anywhere (short runs), so its map shows.
  const top = prob.reduce((a, v) => Math.max(a, v), 0), scale = top < 0.5 ? Math.max(top, 1e-6) : 1;
  paint("c-prob", side, (i) => heat(prob[i] / scale));
  paint("c-overlay", side, (i) => {
    const p = prob[i] > 0.5, m = mask[i] === 1;
    if (p && m) return [255, 40, 120];
    if (p) return [255, 170, 0];
    if (m) return [0, 200, 255];
    return [grey[i], grey[i], grey[i]];
  });
  text("cap-image", `validation chunk ${chosen.frame}, ${side}², zscale`);
  text("cap-truth", `true CR mask: ${chosen.cr} px (dark blue: ignored)`);
  text(
    "cap-prob",
    `CR probability of the final model, colour scale 0 … ${+scale.toPrecision(2)} (${seconds.toFixed(1)} s)`,
  );
  text("cap-overlay", `p > 0.5: ${predicted} px, ${overlap} true (pink); orange false, cyan missed`);
}

// ---- start ----

async function pageMain(): Promise<void> {
  (globalThis as { __train?: TrainStatus }).__train = status;
  const q = new URLSearchParams(location.search);
  const variant = $<HTMLSelectElement>("variant");
  for (const v of Object.keys(VARIANTS)) variant.add(new Option(v, v));
  const initial: Settings = { ...DEFAULT_SETTINGS };
  for (const k of NUMBERS) if (q.has(k)) initial[k] = Number(q.get(k));
  variant.value = initial.variant;
  if (q.has("variant")) {
    const v = q.get("variant")!;
    if (!Object.hasOwn(VARIANTS, v)) {
      return fail(new RangeError(`?variant=${v}: unknown (known: ${Object.keys(VARIANTS).join(", ")})`));
    }
    variant.value = v;
  }
  const fill = (v: Settings) => {
    for (const k of NUMBERS) $<HTMLInputElement>(k).value = String(v[k]);
    variant.value = v.variant;
    showPlan();
  };
  for (const k of NUMBERS) $<HTMLInputElement>(k).addEventListener("input", showPlan);
  fill({ ...initial, variant: variant.value as VariantName });
  $("preset-quick").onclick = () => fill(DEFAULT_SETTINGS);
  $("preset-tiny").onclick = () => fill(TINY_SETTINGS);
  drawChart();
  $("stop").onclick = () => {
    stopRequested = true;
    $<HTMLButtonElement>("stop").disabled = true;
    if (dataAbort) dataAbort.abort();
    else message("stopping after this step…");
  };
  $("start").onclick = () => {
    run().catch(fail).finally(() => {
      $<HTMLButtonElement>("start").disabled = false;
      $<HTMLButtonElement>("stop").disabled = true;
    });
  };
  if (!navigator.gpu) {
    text("adapter", "no WebGPU");
    return fail(
      new Error(
        "This browser has no WebGPU (navigator.gpu is undefined): use Chrome or Edge 113+, " +
          "from localhost or over https (WebGPU needs a secure context).",
      ),
    );
  }
  try {
    await init();
    const a = await navigator.gpu.requestAdapter({ powerPreference: "high-performance" }); // the one init() took
    const i = a?.info;
    status.adapter = [i?.vendor, i?.architecture, i?.description].filter((v) => v).join(" / ") || rt().adapterName;
  } catch (e) {
    text("adapter", "no WebGPU adapter");
    return fail(e);
  }
  const cpu = /swiftshader|llvmpipe|lavapipe|software|cpu/i.test(status.adapter);
  text(
    "adapter",
    `WebGPU adapter: ${status.adapter}` +
      (cpu ? ". A CPU rasterizer: the quick preset takes hours here; the tiny preset trains in about a minute." : ""),
  );
  showGpu();
  $<HTMLButtonElement>("start").disabled = false;
  setState("ready");
  if (q.get("auto") === "1") $("start").click();
}

if (typeof document === "undefined") workerMain();
else pageMain().catch(fail);
