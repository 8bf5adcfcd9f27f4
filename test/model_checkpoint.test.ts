// Loading checkpoints into the UNet variants: strict key matching, alias handling, variant inference, and our
// safetensors round trip.
import { beforeAll, describe, expect, it } from "vitest";
import { noGrad } from "../src/nn/autograd.ts";
import { applyStateDict, inferVariant, loadModel, saveModel } from "../src/nn/checkpoint/model.ts";
import type { StateDict } from "../src/nn/checkpoint/types.ts";
import { createVariant, VARIANTS, type VariantName } from "../src/nn/modules/unet.ts";
import { Tensor } from "../src/nn/tensor.ts";
import { gpu, rand } from "./helpers.ts";

beforeAll(async () => {
  await gpu();
});

/** A model's state dict as host arrays (every alias name present, like torch.save writes). */
async function hostStateDict(variant: VariantName, seed: number): Promise<StateDict> {
  const m = createVariant(variant, seed);
  const sd: StateDict = new Map();
  for (const [k, t] of m.stateDict()) sd.set(k, { shape: [...t.shape], dtype: "float32", data: await t.read() });
  m.release();
  return sd;
}

describe("checkpoint ↔ model", () => {
  it("infers every variant from its keys", async () => {
    for (const v of Object.keys(VARIANTS) as VariantName[]) {
      expect(inferVariant((await hostStateDict(v, 1)).keys())).toBe(v);
    }
  });

  it("strips a DataParallel module. prefix", async () => {
    const sd = await hostStateDict("deepcr", 6);
    const prefixed: StateDict = new Map([...sd].map(([k, v]) => [`module.${k}`, v]));
    const model = createVariant("deepcr", 7);
    try {
      applyStateDict(model, prefixed, "prefixed.pth");
      const w = sd.get("outc.conv.weight")!.data as Float32Array;
      expect(Array.from(await model.stateDict().get("outc.conv.weight")!.read())).toEqual(Array.from(w));
    } finally {
      model.release();
    }
  });

  it("loads strictly: lists missing, unexpected and wrongly shaped keys in one error", async () => {
    const sd = await hostStateDict("deepcr", 2);
    sd.delete("outc.conv.bias");
    sd.set("extra.weight", { shape: [1], dtype: "float32", data: new Float32Array(1) });
    sd.set("inc.conv.conv.0.weight", { shape: [32, 1, 5, 5], dtype: "float32", data: new Float32Array(800) });
    const model = createVariant("deepcr");
    try {
      expect(() => applyStateDict(model, sd, "bad.pth")).toThrow(
        /bad\.pth: does not match the model: missing keys: outc\.conv\.bias \| unexpected keys: extra\.weight \| wrong shapes: inc\.conv\.conv\.0\.weight/,
      );
    } finally {
      model.release();
    }
  });

  it("accepts one alias of a shared norm, and refuses aliases with different values", async () => {
    const sd = await hostStateDict("cosmic-conn-lco", 3);
    sd.delete("inc.conv.conv.4.weight"); // the shared module's second name
    const model = createVariant("cosmic-conn-lco");
    try {
      applyStateDict(model, sd, "one-alias.pth");
      const other = sd.get("inc.conv.conv.1.bias")!;
      sd.set("inc.conv.conv.4.bias", { ...other, data: (other.data as Float32Array).map((v) => v + 1) });
      expect(() => applyStateDict(model, sd, "two.pth")).toThrow(/inc\.conv\.conv\.4\.bias: differs from its shared alias/);
    } finally {
      model.release();
    }
  });

  it("our safetensors checkpoint reproduces the model's output and carries its metadata", async () => {
    const model = createVariant("att-cosmic-conn", 4).eval();
    const x = Tensor.fromArray(rand(2 * 32 * 32, 5), [2, 1, 32, 32]);
    const before = await noGrad(() => model.forward(x)).read();
    const bytes = await saveModel(model, "att-cosmic-conn", { normalize: "none", recipe: "test" });
    const loaded = await loadModel(bytes, "saved.safetensors");
    expect(loaded.variant).toBe("att-cosmic-conn");
    expect(loaded.metadata.normalize).toBe("none");
    const after = await noGrad(() => loaded.model.eval().forward(x)).read();
    expect(Array.from(after)).toEqual(Array.from(before)); // same weights, same kernels: bit-identical
    model.release();
    loaded.model.release();
    x.release();
  });

  it("refuses a file that is neither a zip nor safetensors, naming it", async () => {
    await expect(loadModel(new TextEncoder().encode("hello, not a model"), "notes.txt")).rejects.toThrow(/notes\.txt/);
  });
});
