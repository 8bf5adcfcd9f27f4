// Headless test of the detection page (dist/detect.html) on a real frame: ../shared/data/gmos.fits with Cosmic-CoNN's
// ground-imaging checkpoint (median normalisation, as ../shared/README.md and `deno task detect` use it). The page's
// probabilities and counts are checked against our Deno detection of the same inputs, computed here in the runner
// process (Deno's WebGPU: wgpu on llvmpipe, a different implementation from Chromium's Dawn on SwiftShader). Then the
// threshold slider is moved, the mask downloaded and parsed, a bad file dropped, and a screenshot saved to
// test/browser/screenshots/detect-gmos.png. Skips (with a message) without ../shared.
import type { BrowserContext, Page } from "playwright-core";
import { readFits, readImage } from "../../src/data/fits.ts";
import { loadModel } from "../../src/nn/checkpoint/model.ts";
import { crMask, detectProbabilities } from "../../src/nn/detect.ts";
import { init } from "../../src/nn/tensor.ts";
import type { TestResult } from "./vitest_shim.ts";

export const DETECT_PAGE = "detect-page";

const shared = new URL("../../../shared/", import.meta.url);
const FITS = new URL("data/gmos.fits", shared);
const MODEL = new URL("models/cosmic-conn/ground_imaging.pth", shared);
const SCREENSHOT = new URL("screenshots/detect-gmos.png", import.meta.url);
const SHIPPED = new URL("../../models/default.safetensors", import.meta.url);

/** Slider position the test moves to (a second, independent count). */
const SECOND_THRESHOLD = 0.8;
/**
 * |p_page − p_deno| bound: both are float32 forward passes of the same network summed in different orders (the
 * parity tests hold each to 1e-4 of PyTorch). Counts may differ only by pixels whose p is this close to the threshold.
 */
const P_TOL = 1e-4;

interface Reference {
  width: number;
  height: number;
  probabilities: Float32Array;
}

/** Our Deno detection of the same inputs (as `deno task detect gmos.fits --model ground_imaging.pth` runs it). */
async function denoReference(): Promise<Reference> {
  await init();
  const image = await readImage(await readFits(await Deno.readFile(FITS), "gmos.fits"));
  const { model, variant } = await loadModel(await Deno.readFile(MODEL), "ground_imaging.pth");
  if (variant !== "cosmic-conn-lco") throw new Error(`ground_imaging.pth inferred as ${variant}`);
  try {
    const probabilities = await detectProbabilities(model, image.data, image.width, image.height, { normalize: "median" });
    return { width: image.width, height: image.height, probabilities };
  } finally {
    model.release();
  }
}

/** Pixels above `t`, and how many of them sit within P_TOL of it (where two float32 runs may disagree). */
function countAt(p: Float32Array, t: number): { count: number; band: number } {
  let count = 0, band = 0;
  for (const v of p) {
    if (v > t) count++;
    if (Math.abs(v - t) <= P_TOL) band++;
  }
  return { count, band };
}

class Failure extends Error {}

function check(ok: boolean, message: string): void {
  if (!ok) throw new Failure(message);
}

async function waitState(page: Page, states: string[], timeoutMs: number): Promise<string> {
  await page.waitForFunction((s) => s.includes(document.body.dataset.state ?? ""), states, { timeout: timeoutMs });
  return await page.evaluate(() => document.body.dataset.state ?? "");
}

async function flaggedCount(page: Page): Promise<number> {
  return Number(await page.getAttribute("#flagged", "data-count"));
}

export async function runDetectPage(
  ctx: BrowserContext,
  base: string,
  report: (r: TestResult) => void,
): Promise<TestResult[]> {
  const results: TestResult[] = [];
  const emit = (r: TestResult) => {
    results.push(r);
    report(r);
  };
  const haveShared = [FITS, MODEL].every((u) => {
    try {
      return Deno.statSync(u).isFile;
    } catch {
      return false;
    }
  });
  const names = [
    "a non-FITS file gives a clear error",
    "gmos.fits with ground_imaging.pth: probabilities and count match Deno's detection",
    "the threshold slider re-thresholds without re-running the model",
    "the downloaded mask is a FITS file of the image's shape with the page's mask",
    "the shipped model runs with its card's normalisation and threshold, as `deno task detect` does",
  ];
  if (!haveShared) {
    console.warn(`SKIPPED detection page: ${FITS.pathname} or ${MODEL.pathname} is absent (../shared)`);
    for (const n of names) emit({ name: `detection page > ${n}`, status: "skip", ms: 0 });
    return results;
  }

  const page = await ctx.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => {
    // The page probes for optional checkpoints with HEAD requests; a missing one logs a 404, which is expected.
    if (m.type() === "error" && !m.text().includes("404")) console.log(`  [console.error] ${m.text()}`);
  });
  let ref: Reference | null = null;
  const step = async (name: string, fn: () => Promise<void>) => {
    const t0 = performance.now();
    try {
      if (errors.length) throw new Failure(`uncaught error in the page: ${errors.join("; ")}`);
      await fn();
      emit({ name: `detection page > ${name}`, status: "pass", ms: performance.now() - t0 });
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      emit({ name: `detection page > ${name}`, status: "fail", ms: performance.now() - t0, error });
    }
  };
  try {
    await page.goto(`${base}/dist/detect.html`);
    await page.waitForFunction(() => document.body.dataset.ready === "1", null, { timeout: 30_000 });

    await step(names[0], async () => {
      // The page reads the file after the input's change event: keep it until the message is there.
      const dir = await Deno.makeTempDir({ prefix: "crgpu-detect-page-" });
      try {
        await Deno.writeTextFile(`${dir}/notes.txt`, "these are not pixels\n".repeat(10));
        await page.setInputFiles("#fits-input", `${dir}/notes.txt`);
        await waitState(page, ["error"], 10_000);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
      const text = (await page.textContent("#message")) ?? "";
      check(/notes\.txt: not a FITS file/.test(text), `message '${text}' does not say that notes.txt is not FITS`);
      check(await page.isDisabled("#run"), "Detect is enabled without an image");
    });

    await step(names[1], async () => {
      ref = await denoReference();
      await page.setInputFiles("#fits-input", FITS.pathname);
      await waitState(page, ["idle", "error"], 30_000);
      const hdu = await page.inputValue("#hdu");
      check(hdu === "1:0", `default HDU is '${hdu}', expected 1:0 (SCI; the primary HDU has no data)`);
      await page.setInputFiles("#model-input", MODEL.pathname);
      await page.waitForFunction(() => document.querySelector<HTMLSelectElement>("#model")?.value.startsWith("file:"));
      await page.click("#run");
      const state = await waitState(page, ["done", "error"], 300_000);
      check(state === "done", `detection ended in state '${state}': ${await page.textContent("#message")}`);
      const info = (await page.textContent("#model-info")) ?? "";
      check(info.includes("cosmic-conn-lco") && info.includes("normalize median"), `model info '${info}'`);
      const page_p = Float32Array.from(
        await page.evaluate(() => {
          const r = (globalThis as unknown as { crgpuDetect: { result: { probabilities: Float32Array } } }).crgpuDetect;
          return Array.from(r.result.probabilities);
        }),
      );
      check(page_p.length === ref.width * ref.height, `page has ${page_p.length} probabilities`);
      let worst = 0;
      for (let i = 0; i < page_p.length; i++) worst = Math.max(worst, Math.abs(page_p[i] - ref.probabilities[i]));
      check(worst <= P_TOL, `max |p_page − p_deno| = ${worst.toExponential(2)} > ${P_TOL}`);
      const { count, band } = countAt(ref.probabilities, 0.5);
      const shown = await flaggedCount(page);
      check(Math.abs(shown - count) <= band, `page flags ${shown} pixels at 0.5, Deno ${count} (±${band})`);
      console.log(`      Deno: ${count} pixels > 0.5 (${band} within ${P_TOL}); page: ${shown}; max |Δp| ${worst.toExponential(1)}; ` +
        `page timing: ${await page.textContent("#timing")}`);
    });

    await step(names[2], async () => {
      check(ref !== null, "no reference (the previous step failed)");
      await page.evaluate(() => {
        const g = globalThis as unknown as { crgpuDetect: { result: unknown }; crgpuMark: unknown };
        g.crgpuMark = g.crgpuDetect.result; // same object after re-thresholding = no model run
      });
      await page.locator("#threshold").fill(String(SECOND_THRESHOLD));
      const { count, band } = countAt(ref!.probabilities, SECOND_THRESHOLD);
      const shown = await flaggedCount(page);
      check(Math.abs(shown - count) <= band, `page flags ${shown} at ${SECOND_THRESHOLD}, Deno ${count} (±${band})`);
      check((await page.textContent("#threshold-value")) === SECOND_THRESHOLD.toFixed(2), "threshold label");
      const same = await page.evaluate(() => {
        const g = globalThis as unknown as { crgpuDetect: { result: unknown }; crgpuMark: unknown };
        return g.crgpuDetect.result === g.crgpuMark && document.body.dataset.state === "done";
      });
      check(same, "moving the slider re-ran the detection");
      const at05 = countAt(ref!.probabilities, 0.5).count;
      check(count < at05, `count at ${SECOND_THRESHOLD} (${count}) is not below the count at 0.5 (${at05})`);
    });

    await step(names[3], async () => {
      check(ref !== null, "no reference (the first detection failed)");
      const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download-mask")]);
      check(download.suggestedFilename() === "gmos_crmask.fits", `file name ${download.suggestedFilename()}`);
      const bytes = await Deno.readFile((await download.path())!);
      const file = await readFits(bytes, "downloaded mask");
      check(file.hdus[0].bitpix === 8, `BITPIX ${file.hdus[0].bitpix}, expected 8 (uint8)`);
      const mask = await readImage(file, 0);
      check(mask.width === ref!.width && mask.height === ref!.height, `mask is ${mask.width} × ${mask.height}`);
      const pageMask = await page.evaluate(() =>
        Array.from((globalThis as unknown as { crgpuDetect: { mask: Uint8Array } }).crgpuDetect.mask)
      );
      const differs = pageMask.findIndex((v, i) => v !== mask.data[i]);
      check(differs < 0, `downloaded mask differs from the page's at pixel ${differs}`);
      const flagged = mask.data.reduce((a, b) => a + b, 0);
      check(flagged === (await flaggedCount(page)), `mask holds ${flagged} ones, page shows ${await flaggedCount(page)}`);
      const expected = crMask(ref!.probabilities, SECOND_THRESHOLD);
      const disagree = expected.reduce((n, v, i) => n + (v !== mask.data[i] ? 1 : 0), 0);
      check(disagree <= countAt(ref!.probabilities, SECOND_THRESHOLD).band, `${disagree} pixels differ from Deno's mask`);
      const h = mask.header;
      check(h.get("CRTHRESH") === SECOND_THRESHOLD, `CRTHRESH = ${h.get("CRTHRESH")}`);
      check(h.get("CRMODEL") === "ground_imaging.pth", `CRMODEL = ${h.get("CRMODEL")}`);
      check(h.get("CRVARIAN") === "cosmic-conn-lco", `CRVARIAN = ${h.get("CRVARIAN")}`);
      check(h.get("CRCOUNT") === flagged, `CRCOUNT = ${h.get("CRCOUNT")}`);
      check(h.get("CRNORM") === "median", `CRNORM = ${h.get("CRNORM")}`);
    });

    await step(names[4], async () => {
      // The card, read here from the safetensors header itself (not through the page's code).
      const bytes = await Deno.readFile(SHIPPED);
      const headerLen = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
      const meta = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLen))).__metadata__;
      const fresh = await ctx.newPage();
      try {
        await fresh.goto(`${base}/dist/detect.html?fits=/shared/data/gmos.fits&model=/models/default.safetensors&run`);
        const state = await waitState(fresh, ["done", "error"], 300_000);
        check(state === "done", `detection ended in state '${state}': ${await fresh.textContent("#message")}`);
        const t = Number(await fresh.inputValue("#threshold"));
        check(t === Number(meta.threshold), `page threshold ${t}, the card says ${meta.threshold}`);
        const info = (await fresh.textContent("#model-info")) ?? "";
        check(info.includes(`normalize ${meta.normalize} (model metadata)`), `model info '${info}'`);
        // The same mask as Deno's detection with the card's settings (what `deno task detect gmos.fits` writes).
        await init();
        const img = await readImage(await readFits(await Deno.readFile(FITS), "gmos.fits"));
        const { model } = await loadModel(bytes, "default.safetensors");
        const p = await detectProbabilities(model, img.data as Float32Array, img.width, img.height, {
          normalize: meta.normalize,
        });
        model.release();
        const { count, band } = countAt(p, Number(meta.threshold));
        const shown = await flaggedCount(fresh);
        check(Math.abs(shown - count) <= band, `page flags ${shown} at the card's threshold, Deno ${count} (±${band})`);
        console.log(`      shipped model: Deno ${count} pixels > ${meta.threshold}; page ${shown}`);
      } finally {
        await fresh.close();
      }
    });
  } finally {
    // The screenshot at the usual threshold, whatever happened (it shows errors too).
    await page.locator("#threshold").fill("0.5").catch(() => {});
    await Deno.mkdir(new URL(".", SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT.pathname }).catch((e) => console.log(`  screenshot failed: ${e}`));
    console.log(`      screenshot: ${SCREENSHOT.pathname}`);
    await page.close();
  }
  return results;
}
