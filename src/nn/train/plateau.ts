// torch.optim.lr_scheduler.ReduceLROnPlateau (mode "min", threshold_mode "rel", cooldown 0), the paper's schedule:
// LR × factor when the validation loss has not improved by `threshold` (relative) for more than `patience` epochs.

export interface PlateauOptions {
  factor: number;
  patience: number;
  /** Relative improvement that counts: new < best · (1 − threshold). */
  threshold: number;
  minLr: number;
}

/** Everything `step` depends on, for checkpoints (resume continues the schedule exactly). */
export interface PlateauState {
  best: number;
  badEpochs: number;
  lr: number;
}

export class Plateau {
  best = Infinity;
  badEpochs = 0;

  constructor(public lr: number, readonly opts: PlateauOptions) {}

  /** Feeds one epoch's validation loss; returns the learning rate for the next epoch. */
  step(loss: number): number {
    if (loss < this.best * (1 - this.opts.threshold)) {
      this.best = loss;
      this.badEpochs = 0;
    } else {
      this.badEpochs++;
    }
    if (this.badEpochs > this.opts.patience) {
      const next = Math.max(this.lr * this.opts.factor, this.opts.minLr);
      // PyTorch skips updates smaller than eps = 1e-8.
      if (this.lr - next > 1e-8) this.lr = next;
      this.badEpochs = 0;
    }
    return this.lr;
  }

  state(): PlateauState {
    return { best: this.best, badEpochs: this.badEpochs, lr: this.lr };
  }

  load(s: PlateauState): void {
    // JSON turns Infinity into null.
    this.best = s.best ?? Infinity;
    this.badEpochs = s.badEpochs;
    this.lr = s.lr;
  }
}
