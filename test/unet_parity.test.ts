// Parity with PyTorch 1.13 on the five published checkpoints (../shared/golden/unet, ../shared/models).
import { beforeAll, describe, expect, it } from "vitest";
import { backward, noGrad } from "../src/nn/autograd.ts";
import { loadModel } from "../src/nn/checkpoint/model.ts";
import type { VariantName } from "../src/nn/modules/unet.ts";
import { bceLoss } from "../src/nn/ops/bce_loss.ts";
import { Tensor } from "../src/nn/tensor.ts";
import { expectClose, gpu } from "./helpers.ts";
import { parseNpy } from "./npy.ts";

const shared = new URL("../../shared/", import.meta.url);
function exists(url: URL): boolean {
  try {
    Deno.statSync(url);
    return true;
  } catch {
    return false;
  }
}
const haveShared = exists(new URL("golden/unet/manifest.json", shared)) && exists(new URL("models/", shared));
if (!haveShared) console.warn(`SKIPPED unet parity: ${shared.pathname} (golden outputs and checkpoints) is absent`);

const CASES: { dir: string; variant: VariantName }[] = [
  { dir: "deepcr", variant: "deepcr" },
  { dir: "att_deepcr", variant: "att-deepcr" },
  { dir: "cosmic_conn", variant: "cosmic-conn" },
  { dir: "att_cosmic_conn", variant: "att-cosmic-conn" },
  { dir: "cc_ground", variant: "cosmic-conn-lco" },
];

async function npy(dir: string, name: string): Promise<{ shape: number[]; data: Float32Array }> {
  return parseNpy(await Deno.readFile(new URL(`golden/unet/${dir}/${name}.npy`, shared)), `${dir}/${name}.npy`);
}

/** ‖a − b‖ / ‖b‖ in float64. */
function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0, den = 0;
  for (let i = 0; i < b.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num) / Math.sqrt(den || 1);
}

describe.skipIf(!haveShared)("UNet parity with PyTorch on the published checkpoints", () => {
  let manifest: { variants: Record<string, { checkpoint: string; files: Record<string, number[]> }> };
  beforeAll(async () => {
    await gpu();
    manifest = JSON.parse(await Deno.readTextFile(new URL("golden/unet/manifest.json", shared)));
  });

  for (const { dir, variant } of CASES) {
    it(`${dir}: eval outputs, train output, loss, gradients and running stats`, async () => {
      const entry = manifest.variants[dir];
      const file = new URL(`models/${entry.checkpoint}`, shared);
      const loaded = await loadModel(await Deno.readFile(file), entry.checkpoint);
      expect(loaded.variant).toBe(variant); // inferred from the keys
      const model = loaded.model;
      try {
        // Eval mode (BatchNorm uses running statistics): 1e-4 absolute on probabilities, the bound.
        model.eval();
        for (const name of ["scene", "noise"]) {
          const input = await npy(dir, `eval_${name}_in`);
          const expected = await npy(dir, `eval_${name}_out`);
          const x = Tensor.fromArray(input.data, input.shape);
          const y = noGrad(() => model.forward(x));
          expectClose(await y.read(), expected.data, { atol: 1e-4, rtol: 0 }, `${dir} eval ${name}`);
          x.release();
          y.release();
        }
        // Train mode: batch statistics, BCE loss, gradients of every unique parameter.
        model.train();
        const input = await npy(dir, "train_in");
        const target = await npy(dir, "train_target");
        const x = Tensor.fromArray(input.data, input.shape);
        const t = Tensor.fromArray(target.data, target.shape);
        const out = model.forward(x);
        const loss = bceLoss(out, t);
        expectClose(await out.read(), (await npy(dir, "train_out")).data, { atol: 1e-4, rtol: 0 }, `${dir} train out`);
        const lossValue = (await loss.read())[0];
        expect(Math.abs(lossValue - (await npy(dir, "train_loss")).data[0])).toBeLessThan(1e-4);
        backward(loss);
        const state = model.stateDict();
        const grads = Object.keys(entry.files).filter((k) => k.startsWith("grad__"));
        expect(grads.length).toBeGreaterThan(0);
        const worst: string[] = [];
        const pairs: { key: string; ours: Float32Array; torch: Float32Array }[] = [];
        for (const g of grads) {
          const key = g.slice("grad__".length);
          const param = state.get(key);
          if (!param?.grad) throw new Error(`${dir}: no gradient for ${key}`);
          pairs.push({ key, ours: await param.grad.read(), torch: (await npy(dir, g)).data });
        }
        const norm = (a: ArrayLike<number>) => Math.sqrt(Array.from(a).reduce((s, v) => s + v * v, 0));
        const total = Math.sqrt(pairs.reduce((s, p) => s + norm(p.torch) ** 2, 0));
        for (const { key, ours, torch } of pairs) {
          if (norm(torch) < 1e-5 * total) {
            // Zero in exact arithmetic (a conv bias feeding BatchNorm or a one-channel norm: the norm removes the
            // mean), so PyTorch's value is rounding noise and a relative error is meaningless. Ours must be
            // equally negligible: ‖ours − torch‖ below 1e-5 of the whole gradient's norm.
            const diff = norm(ours.map((v, i) => v - torch[i]));
            if (!(diff <= 1e-5 * total)) worst.push(`${key} (zero): ${(diff / total).toExponential(2)} of total`);
            continue;
          }
          const err = relativeError(ours, torch);
          // 1e-3 relative (the bound): float32 sums in a different order than PyTorch's.
          if (!(err <= 1e-3)) worst.push(`${key}: ${err.toExponential(2)}`);
          if (Deno.env.get("PARITY_VERBOSE")) console.log(dir, key, err.toExponential(2));
        }
        if (worst.length) console.log(dir, worst.join("\n"));
        expect(worst, "gradients over 1e-3 relative").toEqual([]);
        for (const r of Object.keys(entry.files).filter((k) => k.startsWith("running__"))) {
          const key = r.slice("running__".length);
          // 1e-5 (the bound) plus ~1.7 float32 ulps: running variances reach ~800, where one ulp is 6e-5.
          expectClose(await state.get(key)!.read(), (await npy(dir, r)).data, { atol: 1e-5, rtol: 2e-7 }, `${dir} ${key}`);
        }
        for (const z of [x, t, out, loss]) z.release();
      } finally {
        model.release();
      }
    });
  }
});
