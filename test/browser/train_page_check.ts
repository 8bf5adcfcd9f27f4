// Headless test of the training page (dist/train.html): the whole stack trains in Chromium (Dawn on SwiftShader).
// The page simulates a tiny DECam-like set (one 256² frame cut into 64² chunks), trains Cosmic-CoNN for 2 epochs ×
// 4 steps at batch 2 on 32² crops, and must finish with the loss down, GPU memory flat from epoch to epoch, both
// checkpoints downloadable as safetensors with the right parameter count and metadata, and a prediction drawn. Bad
// settings must give a clear message. Screenshot: test/browser/screenshots/train-page.png.
// Called by test/browser/run.ts as `runTrainPage(ctx, base, printResult)`; standalone: test/browser/train_page_main.ts.
import type { BrowserContext, Page } from "playwright-core";
import { loadSafetensors } from "../../src/nn/checkpoint/safetensors.ts";
import type { TestResult } from "./vitest_shim.ts";

export const TRAIN_PAGE = "train-page";

/** The automated run: seconds in SwiftShader (each step ~1 s at 2 × 32², validation one 64² chunk). */
export const TRAIN_QUERY =
  "auto=1&frames=1&size=256&chunk=64&seed=1&variant=cosmic-conn&epochs=2&steps=4&batch=2&patch=32&lr=0.005";
const EPOCHS = 2, STEPS = 4;
/** Unique parameters of cosmic-conn (README's model table; GroupNorm without affine has none). */
const COSMIC_CONN_PARAMETERS = 465_953;
const SCREENSHOT = new URL("screenshots/train-page.png", import.meta.url);
/** Generous: the run takes ~30–60 s in SwiftShader on 2 shared cores. */
const RUN_TIMEOUT_MS = 300_000;

interface Status {
  state: string;
  adapter: string;
  data: { train: number; val: number; chunk: number; seconds: number; where: string } | null;
  steps: { epoch: number; step: number; loss: number; seconds: number }[];
  epochs: {
    epoch: number;
    trainLoss: number;
    valLoss: number;
    best: boolean;
    seconds: number;
    patchesPerSecond: number;
    gpu: { liveBuffers: number; liveBytes: number };
  }[];
  secondsPerStep: number | null;
  trainSeconds: number | null;
  prediction: { truthPixels: number; predictedPixels: number; overlap: number; seconds: number } | null;
  error: string | null;
}

class Failure extends Error {}

function check(ok: boolean, message: string): void {
  if (!ok) throw new Failure(message);
}

const status = (page: Page) =>
  page.evaluate(() => (globalThis as unknown as { __train: unknown }).__train) as Promise<Status>;

async function waitState(page: Page, states: string[], timeoutMs: number): Promise<Status> {
  await page.waitForFunction((s) => s.includes(document.body.dataset.state ?? ""), states, {
    timeout: timeoutMs,
    polling: 500,
  });
  return await status(page);
}

const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;

async function download(page: Page, button: string): Promise<{ name: string; bytes: Uint8Array }> {
  const [d] = await Promise.all([page.waitForEvent("download"), page.click(button)]);
  return { name: d.suggestedFilename(), bytes: await Deno.readFile((await d.path())!) };
}

/** Runs the page with `query` to the end and describes its timings (train_page_main.ts --measure). */
export async function measureRun(ctx: BrowserContext, base: string, query: string): Promise<string> {
  const page = await ctx.newPage();
  try {
    await page.goto(`${base}/dist/train.html?${query}`);
    const s = await waitState(page, ["done", "stopped", "error"], 3_600_000);
    if (s.state !== "done") return `state ${s.state}: ${s.error}`;
    const st = s.steps;
    return `${query}\n  adapter ${s.adapter}; data ${s.data!.train} + ${s.data!.val} chunks of ${s.data!.chunk}² in ` +
      `${s.data!.seconds.toFixed(1)} s (${s.data!.where}); steps ${st.map((r) => r.seconds.toFixed(1)).join(" ")} s; ` +
      `losses ${st.map((r) => r.loss.toFixed(3)).join(" ")}; epochs ${
        s.epochs.map((e) =>
          `${e.seconds.toFixed(1)} s, ` +
          `${e.patchesPerSecond.toFixed(3)} patches/s`
        ).join("; ")
      }; training ${s.trainSeconds!.toFixed(1)} s`;
  } finally {
    await page.close();
  }
}

/** Optional (train_page_main.ts --stop): Stop during training ends after that step and still offers the last model. */
export async function checkStopWhileTraining(ctx: BrowserContext, base: string): Promise<string> {
  const page = await ctx.newPage();
  try {
    await page.goto(`${base}/dist/train.html?${TRAIN_QUERY.replace("epochs=2", "epochs=3")}`);
    await page.waitForFunction(() => (globalThis as unknown as { __train: Status }).__train.steps.length >= 1, null, {
      timeout: RUN_TIMEOUT_MS,
      polling: 200,
    });
    await page.click("#stop");
    const s = await waitState(page, ["stopped", "done", "error"], RUN_TIMEOUT_MS);
    check(s.state === "stopped" && s.error === null, `state ${s.state}, error '${s.error}'`);
    check(s.steps.length < 3 * STEPS, `${s.steps.length} steps: the stop did not stop`);
    const d = await download(page, "#download-last");
    const { metadata } = loadSafetensors(d.bytes, d.name);
    check(
      metadata.steps === String(s.steps.length),
      `last model says ${metadata.steps} steps, the page did ${s.steps.length}`,
    );
    return `stopped after ${s.steps.length} step(s), ${s.epochs.length} epoch(s); last model downloaded`;
  } finally {
    await page.close();
  }
}

export async function runTrainPage(
  ctx: BrowserContext,
  base: string,
  report: (r: TestResult) => void,
): Promise<TestResult[]> {
  const results: TestResult[] = [];
  const page = await ctx.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => {
    if (m.type() === "error") console.log(`  [console.error] ${m.text()}`);
  });
  const step = async (name: string, fn: () => Promise<void>) => {
    const t0 = performance.now();
    let r: TestResult;
    try {
      await fn();
      if (errors.length) throw new Failure(`uncaught error in the page: ${errors.join("; ")}`);
      r = { name: `training page > ${name}`, status: "pass", ms: performance.now() - t0 };
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      r = { name: `training page > ${name}`, status: "fail", ms: performance.now() - t0, error };
    }
    results.push(r);
    report(r);
  };
  let s: Status | null = null;
  try {
    await step("bad settings give a clear message, not a run", async () => {
      await page.goto(`${base}/dist/train.html?variant=nope`);
      const a = await waitState(page, ["error"], 30_000);
      check(/\?variant=nope: unknown/.test(a.error ?? ""), `error '${a.error}' does not name the unknown variant`);
      await page.goto(`${base}/dist/train.html?auto=1&frames=1&size=256&chunk=256&batch=2`);
      const b = await waitState(page, ["error", "done"], 30_000);
      check(
        b.state === "error" && /fewer than one batch of 2/.test(b.error ?? ""),
        `state ${b.state}, error '${b.error}'`,
      );
      check(b.steps.length === 0 && b.data === null, "it simulated or trained anyway");
    });

    await step("a browser without WebGPU is told so", async () => {
      const bare = await ctx.newPage();
      try {
        await bare.addInitScript(() => Object.defineProperty(Navigator.prototype, "gpu", { get: () => undefined }));
        await bare.goto(`${base}/dist/train.html?auto=1`);
        const n = await waitState(bare, ["error", "generating"], 30_000);
        check(n.state === "error" && /has no WebGPU/.test(n.error ?? ""), `state ${n.state}, error '${n.error}'`);
        check(await bare.isDisabled("#start"), "the start button is enabled without WebGPU");
      } finally {
        await bare.close();
      }
    });

    await step("Stop during the simulation ends its worker and the run", async () => {
      await page.goto(`${base}/dist/train.html?auto=1&frames=8&size=1024&chunk=128`);
      await waitState(page, ["generating"], 30_000);
      await page.click("#stop");
      const c = await waitState(page, ["stopped", "error", "training"], 30_000);
      check(c.state === "stopped" && c.error === null, `state ${c.state}, error '${c.error}'`);
      check(c.data === null && c.steps.length === 0, "data or steps after the stop");
      check(await page.isEnabled("#start"), "the start button stayed disabled");
    });

    await step(`data simulated in the page, ${EPOCHS} epochs × ${STEPS} steps: the loss decreases`, async () => {
      await page.goto(`${base}/dist/train.html?${TRAIN_QUERY}`);
      s = await waitState(page, ["done", "error", "stopped"], RUN_TIMEOUT_MS);
      check(s.state === "done", `run ended in state '${s.state}': ${s.error}`);
      check(s.error === null, `error: ${s.error}`);
      check(
        s.data !== null && s.data.chunk === 64 && s.data.val >= 1 && s.data.train >= 2,
        `data ${JSON.stringify(s.data)}`,
      );
      check(s.data!.where === "worker", `the data was simulated in the ${s.data!.where}, not in a worker`);
      check(s.steps.length === EPOCHS * STEPS, `${s.steps.length} steps, expected ${EPOCHS * STEPS}`);
      check(s.epochs.length === EPOCHS, `${s.epochs.length} epoch logs, expected ${EPOCHS}`);
      const losses = s.steps.map((r) => r.loss);
      check(losses.every((l) => Number.isFinite(l) && l > 0), `non-finite or non-positive step loss: ${losses}`);
      // BCE starts near ln 2 (outputs ≈ 0.5) while < 1 % of pixels are CRs, so a working optimizer drops it fast.
      const k = Math.max(1, Math.floor(losses.length / 4));
      const first = mean(losses.slice(0, k)), last = mean(losses.slice(-k));
      check(
        last < first,
        `mean of the last ${k} step losses ${last.toFixed(4)} ≥ mean of the first ${k} ${first.toFixed(4)}`,
      );
      const [e1, e2] = s.epochs;
      check(e2.trainLoss < e1.trainLoss, `epoch 2 train loss ${e2.trainLoss} ≥ epoch 1's ${e1.trainLoss}`);
      check(
        e1.gpu.liveBuffers === e2.gpu.liveBuffers && e1.gpu.liveBytes === e2.gpu.liveBytes,
        `GPU memory grew between epochs: ${JSON.stringify(e1.gpu)} → ${JSON.stringify(e2.gpu)}`,
      );
      console.log(
        `      adapter ${s.adapter}; data (in a worker) ${s.data!.train} train + ${s.data!.val} val chunks of 64² in ` +
          `${s.data!.seconds.toFixed(1)} s; step losses ${losses.map((l) => l.toFixed(3)).join(" ")}; ` +
          `epochs train ${e1.trainLoss.toFixed(4)} → ${e2.trainLoss.toFixed(4)}, val ${e1.valLoss.toFixed(4)} → ` +
          `${e2.valLoss.toFixed(4)}; first step ${s.steps[0].seconds.toFixed(1)} s, then ${
            s.secondsPerStep?.toFixed(2)
          } s/step; ` +
          `training ${s.trainSeconds?.toFixed(1)} s`,
      );
    });

    await step("best and last checkpoints download as safetensors; a prediction is drawn", async () => {
      check(s?.state === "done", "no finished run (the previous step failed)");
      const epochs = s!.epochs;
      const bestEpoch = epochs.reduce((b, e) => (e.valLoss < b.valLoss ? e : b), epochs[0]);
      for (
        const [button, name, epoch] of [["#download-best", "cosmic-conn-best.safetensors", bestEpoch], [
          "#download-last",
          "cosmic-conn-last.safetensors",
          epochs.at(-1)!,
        ]] as const
      ) {
        const d = await download(page, button);
        check(d.name === name, `file name ${d.name}, expected ${name}`);
        const { tensors, metadata } = loadSafetensors(d.bytes, d.name);
        let count = 0;
        for (const t of tensors.values()) count += t.data.length;
        check(
          count === COSMIC_CONN_PARAMETERS,
          `${name} holds ${count} numbers, cosmic-conn has ${COSMIC_CONN_PARAMETERS}`,
        );
        check(
          metadata.variant === "cosmic-conn" && metadata.normalize === "none",
          `${name} metadata ${JSON.stringify(metadata)}`,
        );
        check(
          metadata.epoch === String(epoch.epoch) && Number(metadata.val_loss) === epoch.valLoss,
          `${name}: epoch ${metadata.epoch}, val_loss ${metadata.val_loss}; the page logged epoch ${epoch.epoch}, ${epoch.valLoss}`,
        );
      }
      const p = s!.prediction;
      check(
        p !== null && p.truthPixels >= 0 && p.predictedPixels >= 0 &&
          p.overlap <= Math.min(p.truthPixels, p.predictedPixels),
        `prediction ${JSON.stringify(p)}`,
      );
      const drawn = await page.evaluate(() =>
        ["c-image", "c-truth", "c-prob", "c-overlay"].map((id) => {
          const c = document.getElementById(id) as HTMLCanvasElement;
          const d = c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data;
          let lit = 0;
          for (let i = 0; i < d.length; i += 4) if (d[i] + d[i + 1] + d[i + 2] > 0) lit++;
          return { w: c.width, lit };
        })
      );
      check(drawn.every((c) => c.w === 64), `canvas sizes ${drawn.map((c) => c.w)}, expected the 64² chunk`);
      check(drawn[0].lit > 0 && drawn[3].lit > 0, `image / overlay canvases are blank: ${JSON.stringify(drawn)}`);
    });
  } finally {
    await Deno.mkdir(new URL(".", SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT.pathname, fullPage: true }).catch((e) =>
      console.log(`  screenshot failed: ${e}`)
    );
    console.log(`      screenshot: ${SCREENSHOT.pathname}`);
    await page.close();
  }
  return results;
}
