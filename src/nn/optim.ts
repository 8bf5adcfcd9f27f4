// torch.optim.Adam (amsgrad off, L2 weight decay added to the gradient) on GPU tensors. A step encodes one update
// dispatch per parameter that has a gradient and reads nothing back.
import { adamStep } from "../kernels/adam.ts";
import { zeroGrad } from "./autograd.ts";
import { rt, Tensor } from "./tensor.ts";

export interface AdamOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
}

/** What `state()` returns and `loadState()` accepts: per parameter, its step count and both moments. */
export interface AdamState {
  steps: number[];
  m: Float32Array[];
  v: Float32Array[];
}

export class Adam {
  /** Learning rate; may be changed between steps (schedules). */
  lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  private readonly params: Tensor[];
  private readonly m: Tensor[];
  private readonly v: Tensor[];
  /** Per-parameter step counts: as in PyTorch, a parameter without a gradient is skipped and not counted. */
  private steps: number[];
  /** [step_size, sqrt(1 − β2^t)] per parameter, rewritten before each step's dispatches. */
  private readonly hyper: Tensor;

  constructor(params: Tensor[], opts: AdamOptions = {}) {
    this.params = [...params];
    this.lr = opts.lr ?? 1e-3;
    [this.beta1, this.beta2] = opts.betas ?? [0.9, 0.999];
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? 0;
    // Kept out of any enclosing tidy: the moments live as long as the optimizer.
    this.m = this.params.map((p) => Tensor.zeros(p.shape).keep());
    this.v = this.params.map((p) => Tensor.zeros(p.shape).keep());
    this.hyper = Tensor.zeros([Math.max(1, 2 * this.params.length)]).keep();
    this.steps = this.params.map(() => 0);
  }

  /** Updates every parameter that has a `.grad`; nothing is read back. */
  step(): void {
    const hyper = new Float32Array(this.hyper.size);
    const active: [number, Tensor][] = [];
    this.params.forEach((p, i) => {
      if (!p.grad) return;
      const t = ++this.steps[i];
      // In float64, as PyTorch computes them in Python before handing float32 kernels the result.
      hyper[2 * i] = this.lr / (1 - this.beta1 ** t);
      hyper[2 * i + 1] = Math.sqrt(1 - this.beta2 ** t);
      active.push([i, p.grad]);
    });
    if (active.length === 0) return;
    rt().write(this.hyper.buffer, 0, hyper);
    const h = { beta1: this.beta1, beta2: this.beta2, eps: this.eps, weightDecay: this.weightDecay };
    for (const [i, grad] of active) {
      const p = this.params[i];
      const buffers = { param: p.buffer, grad: grad.buffer, m: this.m[i].buffer, v: this.v[i].buffer, count: p.size };
      adamStep(rt(), buffers, h, this.hyper.buffer, i);
    }
  }

  /** Releases every parameter's gradient. */
  zeroGrad(): void {
    zeroGrad(this.params);
  }

  /** Step counts and moments, read back (for checkpoints; resuming from them continues the run exactly). */
  async state(): Promise<AdamState> {
    return {
      steps: [...this.steps],
      m: await Promise.all(this.m.map((t) => t.read())),
      v: await Promise.all(this.v.map((t) => t.read())),
    };
  }

  /** Uploads a `state()` snapshot (queued; no waiting). */
  loadState(s: AdamState): void {
    const n = this.params.length;
    if (s.steps.length !== n || s.m.length !== n || s.v.length !== n) {
      throw new RangeError(`Adam.loadState: state for ${s.steps.length} parameters, optimizer has ${n}`);
    }
    this.params.forEach((p, i) => {
      if (s.m[i].length !== p.size || s.v[i].length !== p.size) {
        throw new RangeError(
          `Adam.loadState: moments of parameter ${i} (${p.name || `[${p.shape}]`}) have the wrong size`,
        );
      }
      rt().write(this.m[i].buffer, 0, s.m[i]);
      rt().write(this.v[i].buffer, 0, s.v[i]);
    });
    this.steps = [...s.steps];
  }

  /** Frees the moment buffers; the optimizer cannot step afterwards. */
  release(): void {
    for (const t of [...this.m, ...this.v, this.hyper]) t.release();
  }
}
