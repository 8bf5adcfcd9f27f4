// The evaluation printed at the end of `deno task train`: the run's best checkpoint against LACosmic on the
// dataset's test split (the paper's metrics), written to <run>/eval.
import { openModel } from "../app/models.ts";
import { writeAtomic } from "./files.ts";
import { saveModel } from "../nn/checkpoint/model.ts";
import { bestF1Threshold, rocCurve, ScoreAccumulator } from "../eval/metrics.ts";
import { evaluate } from "../eval/evaluate.ts";
import { lacosmicMethod, sigclipSweep, unetMethod } from "../eval/methods.ts";
import { formatTable, writeReport } from "../eval/report.ts";
import type { Dataset } from "../data/dataset.ts";

/** LACosmic sigclips for this quick look: 8 log-spaced values over the paper's [1, 20] (`deno task eval` uses 20). The
 * low ones dominate the time (sigclip 1 flags so much that each chunk takes ~0.5 s). */
export const QUICK_SWEEP = sigclipSweep(8);

export async function evaluateRun(checkpoint: string, ds: Dataset, out: string, log: (s: string) => void): Promise<string> {
  if (ds.size("test") === 0) return "(no test split in this dataset: nothing to evaluate)";
  const { model, variant, settings } = await openModel(await Deno.readFile(checkpoint), checkpoint);
  model.eval();
  try {
    const t0 = performance.now();
    log(`evaluating ${variant} (${checkpoint}) and LACosmic on ${ds.size("test")} test chunks …`);
    const result = await evaluate(ds, [
      unetMethod(model, {
        name: variant,
        normalize: settings.normalize,
        dilate: !settings.dilatedMasks,
        details: { checkpoint },
      }),
      lacosmicMethod({ sigclips: QUICK_SWEEP }),
    ]);
    await writeReport(result, out);
    log(`evaluated in ${((performance.now() - t0) / 1000).toFixed(0)} s → ${out}/report.html`);
    return formatTable(result);
  } finally {
    model.release();
  }
}

/**
 * Writes the checkpoint's operating threshold into its metadata: the p > t with the best F1 on the dataset's
 * validation split (never its test split), which `deno task detect` and the page then use. Returns it.
 */
export async function chooseThreshold(checkpoint: string, ds: Dataset): Promise<{ threshold: number; f1: number } | null> {
  if (ds.size("val") === 0) return null;
  const bytes = await Deno.readFile(checkpoint);
  const { model, variant, metadata, settings } = await openModel(bytes, checkpoint);
  try {
    const method = unetMethod(model, { name: variant, normalize: settings.normalize, dilate: !settings.dilatedMasks });
    const acc = new ScoreAccumulator();
    for await (const c of ds.chunks("val")) {
      const [s] = await method.scores([c.image], ds.patch);
      acc.add(s, c.mask, c.ignore);
    }
    const best = bestF1Threshold(rocCurve(acc));
    if (!best) return null;
    const out = await saveModel(model, variant, {
      ...metadata,
      threshold: String(Number(best.threshold.toPrecision(6))),
      threshold_from: `best F1 (${best.f1.toFixed(4)}) on the validation split`,
    });
    await writeAtomic(checkpoint, out);
    return best;
  } finally {
    model.release();
  }
}
