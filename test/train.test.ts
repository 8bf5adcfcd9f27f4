// The training loop: the plateau schedule (PyTorch's ReduceLROnPlateau rules, worked by hand), the median weights,
// BatchNorm phases, flat GPU memory, and a run stopped mid-epoch and resumed from its snapshot matching an
// uninterrupted run bit for bit.
import { beforeAll, describe, expect, it } from "vitest";
import { Plateau } from "../src/nn/train/plateau.ts";
import { cosineLr } from "../src/nn/train/cosine.ts";
import { medianWeights } from "../src/nn/train/loss_weights.ts";
import { DEFAULTS, type TrainConfig } from "../src/nn/train/config.ts";
import { type BatchSource, type SourceBatchOptions, type Split, type TrainBatch, Trainer } from "../src/nn/train/trainer.ts";
import { decodeSnapshot, encodeSnapshot } from "../src/nn/train/snapshot_io.ts";
import { Rng } from "../src/nn/init.ts";
import { crFraction, priorLogit } from "../src/nn/train/prior.ts";
import type { DatasetChunk } from "../src/data/dataset.ts";
import { gpu } from "./helpers.ts";

beforeAll(async () => {
  await gpu();
});

describe("Plateau (ReduceLROnPlateau, mode min, relative threshold)", () => {
  it("drops the LR after more than `patience` epochs without a relative improvement", () => {
    const p = new Plateau(1, { factor: 0.1, patience: 2, threshold: 0.01, minLr: 0 });
    // best=1 → 0.995 is not < 1·0.99 (bad 1) → 0.991 (bad 2) → 0.9901 (bad 3 > 2: lr 0.1, bad 0)
    // → 0.98 < 0.99 (best 0.98, bad 0) → 0.9703 is not < 0.9702 (bad 1) → 0.97 < 0.9702 (best, bad 0).
    const lrs = [1, 0.995, 0.991, 0.9901, 0.98, 0.9703, 0.97].map((l) => p.step(l));
    expect(lrs).toEqual([1, 1, 1, 0.1, 0.1, 0.1, 0.1]);
    expect(p.best).toBe(0.97);
    // Three more flat epochs: bad 1, 2, 3 → lr 0.01 (1e-2 within float error of 0.1·0.1).
    for (let i = 0; i < 3; i++) p.step(0.97);
    expect(p.lr).toBeCloseTo(0.01, 15);
    expect(p.badEpochs).toBe(0);
  });

  it("never goes below minLr and skips changes smaller than 1e-8", () => {
    const p = new Plateau(1e-3, { factor: 0.1, patience: 0, threshold: 0, minLr: 5e-4 });
    p.step(1);
    expect(p.step(1)).toBe(5e-4);
    expect(p.step(1)).toBe(5e-4);
  });

  it("state survives a JSON round trip (Infinity best before the first epoch)", () => {
    const p = new Plateau(0.005, { factor: 0.1, patience: 4, threshold: 0.001, minLr: 0 });
    const q = new Plateau(1, p.opts);
    q.load(JSON.parse(JSON.stringify(p.state())));
    expect(q.best).toBe(Infinity);
    expect(q.lr).toBe(0.005);
  });
});

describe("median weights", () => {
  it("are 1 on flat sky and on an isolated hot pixel, and grow on an extended source", () => {
    const s = 16;
    const img = new Float32Array(s * s);
    // Sky alternating 100/102: median 101 (even count: mean of the middle two), MAD 1 → s = 1.4826.
    for (let i = 0; i < img.length; i++) img[i] = (i + Math.floor(i / s)) % 2 ? 102 : 100;
    img[3 * s + 3] = 5000; // a CR: one pixel of a 5×5 window never moves its median
    for (let y = 8; y < 15; y++) for (let x = 8; x < 15; x++) img[y * s + x] = 200; // a 7×7 "star"
    const w = medianWeights(img, 1, s);
    expect(w[3 * s + 3]).toBe(1);
    expect(w[0]).toBe(1);
    // m = 102: 103 sky pixels at 100 and 103 at 102, 49 star pixels at 200 and the CR above, so sorted entries
    // 127 and 128 are both 102. |x − m|: 103 zeros, then 103 twos → MAD = 2, s = 1.4826·2.
    // Inside the star every 5×5 window is all 200: w = 1 + (200 − 102)/(5 · 2.9652) = 7.6100.
    expect(w[11 * s + 11]).toBeCloseTo(1 + 98 / (5 * 1.4826 * 2), 5);
    // Pixel (x 8, y 6): window rows 4..8, cols 6..10 holds 1 row × 3 cols of star = 3 of 25 → sky median, w = 1.
    expect(w[6 * s + 8]).toBe(1);
  });
});

/** Images of noisy sky with a few bright pixels (the targets); batch b of epoch e is a function of (seed, e, b). */
class Toy implements BatchSource {
  constructor(readonly patch = 16, readonly nTrain = 24, readonly nVal = 4) {}
  batchCount(split: Split, batch: number): number {
    return Math.floor((split === "train" ? this.nTrain : this.nVal) / batch);
  }
  async *batches(split: Split, o: SourceBatchOptions): AsyncIterable<TrainBatch> {
    const P = this.patch;
    for (let b = o.start ?? 0; b < this.batchCount(split, o.batch); b++) {
      const r = new Rng(o.seed * 7 + o.epoch * 1000 + b + (split === "val" ? 99_999 : 0));
      const n = o.batch, images = new Float32Array(n * P * P), masks = new Float32Array(n * P * P);
      for (let i = 0; i < images.length; i++) images[i] = 10 + r.next();
      for (let k = 0; k < 2 * n; k++) {
        const i = Math.floor(r.next() * images.length);
        images[i] += 20;
        masks[i] = 1;
      }
      yield { n, size: P, images, masks, ignore: null };
    }
  }
}

const config = (over: Partial<TrainConfig>): TrainConfig => ({
  ...DEFAULTS,
  epochs: 3,
  batch: 4,
  patch: 16,
  stepsPerEpoch: 6,
  ...over,
});

describe("Trainer", () => {
  it("BatchNorm phases: batch statistics for ⌈40%⌉ of epochs, then frozen; GroupNorm has none", async () => {
    const bn = new Trainer(config({ variant: "deepcr", epochs: 5 }), new Toy());
    expect([0, 1, 2, 3, 4].map((e) => bn.bnMode(e))).toEqual(["batch", "batch", "frozen", "frozen", "frozen"]);
    bn.release();
    const gn = new Trainer(config({ variant: "cosmic-conn" }), new Toy());
    expect(gn.bnMode(0)).toBe("none");
    gn.release();
  });

  it("the loss falls and GPU memory is the same after every epoch", async () => {
    const t = new Trainer(config({ variant: "deepcr", epochs: 4, lr: 0.002, bnRecalibrate: 3 }), new Toy());
    const logs = (await t.run()).history;
    t.release();
    console.log(logs.map((l) => `${l.epoch}: ${l.trainLoss.toFixed(4)}/${l.valLoss.toFixed(4)} ${l.bn}`).join(", "));
    expect(logs.at(-1)!.trainLoss).toBeLessThan(logs[0].trainLoss * 0.5);
    for (const l of logs) {
      expect(l.gpu).toEqual(logs[0].gpu);
      expect(l.steps).toBe(6);
    }
  });

  it("a run stopped mid-epoch and resumed from its snapshot ends bit-identical to an uninterrupted one", async () => {
    const c = config({ variant: "att-deepcr", epochs: 3, stepsPerEpoch: 5, saveEvery: 2, bnRecalibrate: 2 });
    const full = new Trainer(c, new Toy());
    await full.run();
    const want = await full.snapshot();
    full.release();

    // Stop during epoch 2 (after its step-4 snapshot): a throw from the hook, like a kill, runs no cleanup.
    let saved: Uint8Array | null = null;
    const first = new Trainer(c, new Toy());
    await expect(first.run({
      onSnapshot(s, why) {
        saved = encodeSnapshot(s);
        if (why === "step" && s.state.epoch === 1 && s.state.step === 4) throw new Error("killed");
      },
    })).rejects.toThrow("killed");
    first.release();
    const snap = decodeSnapshot(saved!, "snapshot.safetensors");
    expect([snap.state.epoch, snap.state.step]).toEqual([1, 4]);

    const resumed = new Trainer(c, new Toy());
    resumed.restore(snap);
    await resumed.run();
    const got = await resumed.snapshot();
    resumed.release();
    expect(got.state.history.map((h) => [h.trainLoss, h.valLoss, h.lr])).toEqual(
      want.state.history.map((h) => [h.trainLoss, h.valLoss, h.lr]),
    );
    for (const [name, t] of want.model) expect(got.model.get(name)!.data, name).toEqual(t.data);
    want.adam.m.forEach((m, i) => expect(got.adam.m[i]).toEqual(m));
    want.adam.v.forEach((v, i) => expect(got.adam.v[i]).toEqual(v));
    expect(got.adam.steps).toEqual(want.adam.steps);
  });

  it("cosine schedule: lr·(0.01 + 0.99·½(1 + cos πt/T)) per step; the epoch logs its last step's rate", async () => {
    expect(cosineLr(0.01, 0, 6)).toBeCloseTo(0.01, 15);
    expect(cosineLr(0.01, 6, 6)).toBeCloseTo(0.0001, 15);
    expect(cosineLr(0.01, 2, 6)).toBeCloseTo(0.007525, 15); // cos(π/3) = ½
    const t = new Trainer(config({ variant: "cosmic-conn", epochs: 2, stepsPerEpoch: 3, schedule: "cosine", lr: 0.01 }), new Toy());
    const logs = (await t.run()).history;
    t.release();
    expect(logs[0].lr).toBeCloseTo(0.007525, 9); // step 2 of 6
    expect(logs[1].lr).toBeCloseTo(0.01 * (0.01 + 0.495 * (1 - Math.sqrt(3) / 2)), 9); // step 5: cos(5π/6)
  });

  it("initFrom copies another model's weights exactly (fine-tuning start)", async () => {
    const { createVariant } = await import("../src/nn/modules/unet.ts");
    const other = createVariant("cosmic-conn", 99);
    const t = new Trainer(config({ variant: "cosmic-conn" }), new Toy());
    await t.initFrom(other);
    const snap = await t.snapshot();
    for (const [name, want] of other.stateDict()) {
      if (snap.model.has(name)) expect(snap.model.get(name)!.data, name).toEqual(await want.read());
    }
    t.release();
    other.release();
  });

  it("refuses a snapshot of a different config, and bad configs with every problem named", () => {
    expect(() => new Trainer(config({ patch: 18 }), new Toy())).toThrow(/multiple of 4/);
    expect(() => new Trainer(config({ patch: 32 }), new Toy())).toThrow(/exceeds the dataset's 16² chunks/);
    expect(() => new Trainer(config({ batch: 100 }), new Toy())).toThrow(/fewer chunks than one batch/);
  });
});

describe("output-bias prior", () => {
  it("priorLogit is log(π/(1 − π)), kept finite and ≤ 0", () => {
    // ln(0.004) = −5.521461, ln(0.996) = −0.004008 → −5.517453.
    expect(priorLogit(0.004)).toBeCloseTo(-5.517453, 5);
    expect(priorLogit(0.5)).toBe(0);
    expect(priorLogit(0.9)).toBe(0);
    // π = 0 → 1e-6: ln(1e-6) − ln(1 − 1e-6) = −13.815511 + 0.000001.
    expect(priorLogit(0)).toBeCloseTo(-13.81551, 5);
  });

  it("crFraction counts CR pixels over the kept pixels of val and the first training chunks", async () => {
    const chunk = (mask: number[], ignore: number[] | null): DatasetChunk => ({
      image: new Float32Array(mask.length),
      mask: Uint8Array.from(mask),
      ignore: ignore && Uint8Array.from(ignore),
      info: {} as DatasetChunk["info"],
    });
    const splits: Record<string, DatasetChunk[]> = {
      // val: 1 CR of 4 kept (the ignored CR does not count).
      val: [chunk([1, 0, 0, 0, 1], [0, 0, 0, 0, 1])],
      // train: 2 of 4, then 0 of 4, then a chunk beyond the limit of 2 (all CRs) that must not be read.
      train: [chunk([1, 1, 0, 0], null), chunk([0, 0, 0, 0], null), chunk([1, 1, 1, 1], null)],
    };
    const ds = {
      async *chunks(split: string) {
        yield* splits[split];
      },
    };
    // (1 + 2 + 0) / (4 + 4 + 4) = 0.25.
    expect(await crFraction(ds, 2)).toBe(0.25);
  });

  it("a Trainer with outputBias starts its output layer there; without it, PyTorch's initialisation", async () => {
    const bias = async (t: Trainer) => Array.from(await t.model.stateDict().get("outc.conv.bias")!.read());
    const withPrior = new Trainer(config({ variant: "cosmic-conn", outputBias: -5.5 }), new Toy());
    expect(await bias(withPrior)).toEqual([-5.5]);
    // PyTorch's default: U(−1/√fan_in, 1/√fan_in) with fan_in = 32 → |b| ≤ 0.1768.
    const plain = new Trainer(config({ variant: "cosmic-conn" }), new Toy());
    expect(Math.abs((await bias(plain))[0])).toBeLessThanOrEqual(1 / Math.sqrt(32));
    for (const t of [withPrior, plain]) t.release();
  });
});
