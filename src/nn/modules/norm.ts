// Normalisation modules: BatchNorm2d (deepCR) and GroupNorm (Cosmic-CoNN).
import { Module } from "../module.ts";
import { batchNorm2d } from "../ops/batch_norm2d.ts";
import { groupNorm } from "../ops/group_norm.ts";
import { Tensor } from "../tensor.ts";

export abstract class Norm extends Module {
  abstract forward(x: Tensor): Tensor;
}

export class BatchNorm2d extends Norm {
  readonly weight: Tensor;
  readonly bias: Tensor;
  readonly runningMean: Tensor;
  readonly runningVar: Tensor;
  readonly numBatchesTracked: Tensor;
  /** Host-side count (PyTorch keeps it as an int64 buffer; we keep it for the state dict only). */
  batchesTracked = 0;

  /** `momentum` is mutable so running statistics can be re-estimated with a cumulative average (trainer). */
  constructor(readonly channels: number, public momentum = 0.1, readonly eps = 1e-5) {
    super();
    this.weight = this.param("weight", Tensor.full([channels], 1));
    this.bias = this.param("bias", Tensor.zeros([channels]));
    this.runningMean = this.buffer("running_mean", Tensor.zeros([channels]));
    this.runningVar = this.buffer("running_var", Tensor.full([channels], 1));
    // Stored as float32 here; checkpoint IO converts to and from int64.
    this.numBatchesTracked = this.buffer("num_batches_tracked", Tensor.zeros([]));
  }

  forward(x: Tensor): Tensor {
    if (this.training) this.batchesTracked++;
    return batchNorm2d(x, this.weight, this.bias, this.runningMean, this.runningVar, {
      training: this.training,
      momentum: this.momentum,
      eps: this.eps,
    });
  }
}

export class GroupNorm extends Norm {
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;

  constructor(readonly groups: number, readonly channels: number, readonly affine: boolean, readonly eps = 1e-5) {
    super();
    if (channels % groups !== 0) throw new RangeError(`GroupNorm: ${channels} channels not divisible into ${groups} groups`);
    this.weight = affine ? this.param("weight", Tensor.full([channels], 1)) : null;
    this.bias = affine ? this.param("bias", Tensor.zeros([channels])) : null;
  }

  forward(x: Tensor): Tensor {
    return groupNorm(x, this.groups, this.weight, this.bias, this.eps);
  }
}
