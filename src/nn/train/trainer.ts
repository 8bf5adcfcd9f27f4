// The training loop: epochs of Adam steps on augmented crops, a validation pass per epoch, the plateau schedule,
// deepCR's two BatchNorm phases, and snapshots that let a killed run continue exactly.
// File IO stays outside (src/cli/train.ts); hooks receive snapshots and checkpoints to write.
import { backward, noGrad } from "../autograd.ts";
import { Adam, type AdamState } from "../optim.ts";
import { bceLoss } from "../ops/bce_loss.ts";
import { BatchNorm2d } from "../modules/norm.ts";
import { createVariant, type UNet } from "../modules/unet.ts";
import type { Module } from "../module.ts";
import { rt, Tensor, tidy } from "../tensor.ts";
import { bnTrainEpochs, checkConfig, type TrainConfig } from "./config.ts";
import { medianWeights } from "./loss_weights.ts";
import { prepareImage } from "../detect/prep.ts";
import { Plateau, type PlateauState } from "./plateau.ts";
import { cosineLr } from "./cosine.ts";
import type { Batch, BatchOptions } from "../../data/dataset/loader.ts";
import type { SplitName } from "../../data/dataset/manifest.ts";

/** A training batch (the dataset loader's, without its chunk records). */
export type TrainBatch = Omit<Batch, "info">;
export type SourceBatchOptions = BatchOptions;
export type Split = SplitName;

/** What the trainer needs of a dataset. */
export interface BatchSource {
  readonly patch: number;
  batchCount(split: Split, batch: number, dropLast?: boolean): number;
  batches(split: Split, opts: SourceBatchOptions): AsyncIterable<TrainBatch>;
}

export interface EpochLog {
  epoch: number;
  lr: number;
  /** How BatchNorm normalised this epoch: batch statistics, frozen running statistics, or no BatchNorm. */
  bn: "batch" | "frozen" | "none";
  trainLoss: number;
  valLoss: number;
  steps: number;
  patches: number;
  seconds: number;
  patchesPerSecond: number;
  /** Buffer pool at the end of the epoch: must stay flat over a run. */
  gpu: { liveBuffers: number; liveBytes: number; poolBytes: number };
  best: boolean;
}

export interface TrainState {
  /** Epoch in progress (0-based) and optimizer steps already done in it. */
  epoch: number;
  step: number;
  globalStep: number;
  /** Sum of this epoch's step losses so far (so a resumed epoch reports the same mean). */
  epochLossSum: number;
  epochSeconds: number;
  plateau: PlateauState;
  bestVal: number | null;
  bestEpoch: number | null;
  history: EpochLog[];
}

export interface StepInfo {
  epoch: number;
  step: number;
  steps: number;
  loss: number;
  lr: number;
  patchesPerSecond: number;
  /** Seconds left in the run, from this session's mean step time. */
  eta: number;
}

export interface TensorData {
  shape: number[];
  data: Float32Array;
}

/** Everything needed to continue a run: model tensors, optimizer moments, schedule and counters. */
export interface Snapshot {
  config: TrainConfig;
  state: TrainState;
  model: Map<string, TensorData>;
  adam: AdamState;
}

export interface TrainHooks {
  onStep?(info: StepInfo): void;
  onEpoch?(log: EpochLog): void | Promise<void>;
  /** A resume point: after every epoch, and every `saveEvery` steps. */
  onSnapshot?(s: Snapshot, reason: "epoch" | "step"): void | Promise<void>;
  /** A new best validation loss: the model as it is now. */
  onBest?(trainer: Trainer, log: EpochLog): void | Promise<void>;
}

/** Every distinct BatchNorm2d below `m` (a shared module once). */
export function batchNorms(m: Module, out: BatchNorm2d[] = []): BatchNorm2d[] {
  if (m instanceof BatchNorm2d && !out.includes(m)) out.push(m);
  for (const [, c] of m.namedChildren()) batchNorms(c, out);
  return out;
}

/** Sets `training` on every BatchNorm2d below `m` (the rest of the model keeps its mode); returns how many. */
export function setBatchNormTraining(m: Module, on: boolean): number {
  const norms = batchNorms(m);
  for (const n of norms) n.training = on;
  return norms.length;
}

export class Trainer {
  readonly model: UNet;
  readonly opt: Adam;
  readonly plateau: Plateau;
  readonly hasBatchNorm: boolean;
  state: TrainState;

  constructor(readonly config: TrainConfig, readonly data: BatchSource) {
    checkConfig(config, data.patch);
    if (data.batchCount("train", config.batch, true) === 0) {
      throw new RangeError(`training split has fewer chunks than one batch of ${config.batch}`);
    }
    if (data.batchCount("val", 1) === 0) throw new RangeError("validation split is empty");
    this.model = createVariant(config.variant, config.seed);
    if (config.outputBias != null) this.model.setOutputBias(config.outputBias);
    this.hasBatchNorm = setBatchNormTraining(this.model, true) > 0;
    this.opt = new Adam(this.model.parameters(), { lr: config.lr });
    this.plateau = new Plateau(config.lr, config.plateau);
    this.state = {
      epoch: 0,
      step: 0,
      globalStep: 0,
      epochLossSum: 0,
      epochSeconds: 0,
      plateau: this.plateau.state(),
      bestVal: null,
      bestEpoch: null,
      history: [],
    };
  }

  /** Optimizer steps in one epoch. */
  get stepsPerEpoch(): number {
    const full = this.data.batchCount("train", this.config.batch, true);
    return this.config.stepsPerEpoch === null ? full : Math.min(full, this.config.stepsPerEpoch);
  }

  get done(): boolean {
    return this.state.epoch >= this.config.epochs;
  }

  /** Mode of BatchNorm in a given epoch. */
  bnMode(epoch: number): EpochLog["bn"] {
    if (!this.hasBatchNorm) return "none";
    return epoch < bnTrainEpochs(this.config) ? "batch" : "frozen";
  }

  /** The batch's images as the network sees them (per-image normalisation, as evaluation applies it per chunk). */
  private inputs(b: TrainBatch): Float32Array {
    if (this.config.normalize === "none") return b.images;
    const plane = b.size * b.size, out = new Float32Array(b.images.length);
    for (let i = 0; i < b.n; i++) {
      out.set(prepareImage(b.images.subarray(i * plane, (i + 1) * plane), this.config.normalize).pixels, i * plane);
    }
    return out;
  }

  private toTensors(b: TrainBatch) {
    const shape = [b.n, 1, b.size, b.size];
    const x = Tensor.fromArray(this.inputs(b), shape);
    const target = Tensor.fromArray(b.masks, shape);
    const ignore = b.ignore ? Tensor.fromArray(b.ignore, shape) : undefined;
    const weight = this.config.loss === "median-weighted-bce"
      ? Tensor.fromArray(medianWeights(b.images, b.n, b.size), shape)
      : undefined;
    return { x, target, ignore, weight };
  }

  /** One Adam step on a batch; returns its loss (read back). */
  async trainStep(b: TrainBatch): Promise<number> {
    const loss = tidy(() => {
      const { x, target, ignore, weight } = this.toTensors(b);
      const l = bceLoss(this.model.forward(x), target, { ignore, weight });
      backward(l);
      this.opt.step();
      this.opt.zeroGrad();
      return l;
    });
    const v = (await loss.read())[0];
    loss.release();
    return v;
  }

  /** Mean loss over the validation split, in eval mode (running statistics), full chunks. */
  async validate(batch = Math.min(4, this.config.batch)): Promise<number> {
    const wasTraining = this.model.training;
    this.model.eval();
    let sum = 0, count = 0;
    try {
      for await (const b of this.data.batches("val", { batch, seed: this.config.seed, epoch: 0, shuffle: false, sky: false })) {
        const loss = noGrad(() =>
          tidy(() => {
            const { x, target, ignore, weight } = this.toTensors(b);
            return bceLoss(this.model.forward(x), target, { ignore, weight });
          })
        );
        sum += (await loss.read())[0] * b.n;
        count += b.n;
        loss.release();
      }
    } finally {
      this.model.train(wasTraining);
    }
    if (count === 0) throw new RangeError("validation split is empty");
    return sum / count;
  }

  /** Re-estimates BatchNorm running statistics as the plain average over `batches` training batches (PyTorch's
   * update_bn: momentum 1/(k+1) for the k-th batch), deterministic in the epoch so a resumed run repeats it. */
  async recalibrateBatchNorm(epoch: number, batches: number): Promise<void> {
    const norms = batchNorms(this.model);
    const momenta = norms.map((n) => n.momentum);
    const c = this.config;
    const crop = c.patch < this.data.patch ? c.patch : undefined;
    setBatchNormTraining(this.model, true);
    let k = 0;
    try {
      const opts = { batch: c.batch, seed: c.seed + 7919, epoch, shuffle: true, crop, sky: c.sky, flips: c.flips, dropLast: true };
      for await (const b of this.data.batches("train", opts)) {
        for (const n of norms) n.momentum = 1 / (k + 1);
        noGrad(() => tidy(() => void this.model.forward(this.toTensors(b).x)));
        await rt().sync();
        if (++k >= batches) break;
      }
    } finally {
      norms.forEach((n, i) => (n.momentum = momenta[i]));
    }
  }

  /** Runs (or continues) the schedule to the last epoch. */
  async run(hooks: TrainHooks = {}): Promise<TrainState> {
    const c = this.config;
    const steps = this.stepsPerEpoch;
    const totalSteps = steps * c.epochs;
    const t0 = performance.now();
    const stepsAtStart = this.state.globalStep;
    while (!this.done) {
      const s = this.state;
      const epoch = s.epoch;
      this.model.train();
      if (this.hasBatchNorm && c.bnRecalibrate > 0 && epoch === bnTrainEpochs(c) && s.step === 0) {
        await this.recalibrateBatchNorm(epoch, c.bnRecalibrate);
      }
      setBatchNormTraining(this.model, this.bnMode(epoch) === "batch");
      this.opt.lr = this.plateau.lr;
      const crop = c.patch < this.data.patch ? c.patch : undefined;
      let epochStart = performance.now();
      if (s.step < steps) {
        const batches = this.data.batches("train", {
          batch: c.batch,
          seed: c.seed,
          epoch,
          start: s.step,
          shuffle: true,
          crop,
          sky: c.sky,
          flips: c.flips,
          crShare: c.crCrops ?? 0,
          dropLast: true,
        });
        for await (const b of batches) {
          if (c.schedule === "cosine") this.opt.lr = cosineLr(c.lr, s.globalStep, totalSteps);
          const loss = await this.trainStep(b);
          if (!Number.isFinite(loss)) {
            throw new RangeError(`loss is ${loss} at epoch ${epoch + 1}, step ${s.step + 1}: lower --lr or check the data`);
          }
          s.step++;
          s.globalStep++;
          s.epochLossSum += loss;
          const now = performance.now();
          const perStep = (now - t0) / 1000 / (s.globalStep - stepsAtStart);
          hooks.onStep?.({
            epoch,
            step: s.step,
            steps,
            loss,
            lr: this.opt.lr,
            patchesPerSecond: (c.batch * (s.globalStep - stepsAtStart)) / ((now - t0) / 1000),
            eta: perStep * (totalSteps - s.globalStep),
          });
          if (c.saveEvery > 0 && s.step % c.saveEvery === 0 && s.step < steps) {
            s.epochSeconds += (performance.now() - epochStart) / 1000;
            epochStart = performance.now();
            await hooks.onSnapshot?.(await this.snapshot(), "step");
          }
          if (s.step >= steps) break;
        }
      }
      const valLoss = await this.validate();
      s.epochSeconds += (performance.now() - epochStart) / 1000;
      const lr = this.opt.lr;
      this.plateau.step(valLoss);
      const best = s.bestVal === null || valLoss < s.bestVal;
      await rt().sync();
      const log: EpochLog = {
        epoch: epoch + 1,
        lr,
        bn: this.bnMode(epoch),
        trainLoss: s.epochLossSum / Math.max(1, s.step),
        valLoss,
        steps: s.step,
        patches: s.step * c.batch,
        seconds: s.epochSeconds,
        patchesPerSecond: (s.step * c.batch) / s.epochSeconds,
        gpu: { liveBuffers: rt().pool.liveCount, liveBytes: rt().pool.liveBytes, poolBytes: rt().pool.liveBytes + rt().pool.freeBytes },
        best,
      };
      s.history.push(log);
      if (best) {
        s.bestVal = valLoss;
        s.bestEpoch = epoch + 1;
      }
      s.epoch++;
      s.step = 0;
      s.epochLossSum = 0;
      s.epochSeconds = 0;
      s.plateau = this.plateau.state();
      await hooks.onEpoch?.(log);
      if (best) await hooks.onBest?.(this, log);
      await hooks.onSnapshot?.(await this.snapshot(), "epoch");
    }
    return this.state;
  }

  /** The run as it is now (reads the GPU). */
  async snapshot(): Promise<Snapshot> {
    // Each tensor once (shared modules appear under two names), all read-backs in flight together.
    const seen = new Set<Tensor>();
    const unique = [...this.model.stateDict()].filter(([, t]) => !seen.has(t) && seen.add(t));
    const data = await Promise.all(unique.map(([, t]) => t.read()));
    const model = new Map<string, TensorData>(unique.map(([name, t], i) => [name, { shape: [...t.shape], data: data[i] }]));
    this.state.plateau = this.plateau.state();
    return {
      config: this.config,
      state: structuredClone(this.state),
      model,
      adam: await this.opt.state(),
    };
  }

  /** Starts from another model's weights (same variant): fine-tuning. The optimizer and schedule start fresh. */
  async initFrom(other: UNet): Promise<void> {
    const src = other.stateDict(), seen = new Set<Tensor>(), pairs: [Tensor, Tensor][] = [];
    for (const [name, t] of this.model.stateDict()) {
      if (seen.has(t)) continue;
      seen.add(t);
      const v = src.get(name);
      if (!v || v.size !== t.size) throw new RangeError(`initial model lacks tensor ${name} [${t.shape}]`);
      pairs.push([t, v]);
    }
    // Every read-back in flight together, as saveModel does.
    const data = await Promise.all(pairs.map(([, v]) => v.read()));
    pairs.forEach(([t], i) => rt().write(t.buffer, 0, data[i]));
  }

  /** Continues from a snapshot of a run with the same config. */
  restore(s: Snapshot): void {
    const a = JSON.stringify(this.config), b = JSON.stringify(s.config);
    if (a !== b) throw new RangeError(`snapshot was made with a different training config:\n  run:      ${a}\n  snapshot: ${b}`);
    const seen = new Set<Tensor>();
    for (const [name, t] of this.model.stateDict()) {
      if (seen.has(t)) continue;
      seen.add(t);
      const v = s.model.get(name);
      if (!v || v.data.length !== t.size) throw new RangeError(`snapshot lacks tensor ${name} [${t.shape}]`);
      rt().write(t.buffer, 0, v.data);
    }
    this.opt.loadState(s.adam);
    this.plateau.load(s.state.plateau);
    this.state = structuredClone(s.state);
    this.state.plateau = this.plateau.state();
  }

  release(): void {
    this.opt.release();
    this.model.release();
  }
}
