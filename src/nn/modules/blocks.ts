// The UNet's building blocks, named like the published PyTorch models so state_dict keys match.
import { needsGrad } from "../autograd.ts";
import { Module } from "../module.ts";
import type { Rng } from "../init.ts";
import { add, relu, sigmoid } from "../ops/elementwise.ts";
import { gate } from "../ops/gate.ts";
import type { Tensor } from "../tensor.ts";
import { Conv2d } from "./conv.ts";
import type { Norm } from "./norm.ts";

/**
 * Releases `t` once `consumer` (the result of the op that read it) needs no graph: in inference (noGrad, or nothing
 * requiring a gradient) a forward pass then holds a few activations at a time instead of all of them. With the
 * graph recorded, `t` stays for the backward pass. Only for intermediates the caller created.
 */
export function consumed(t: Tensor, consumer: Tensor): void {
  if (t !== consumer && !needsGrad(consumer)) t.release();
}

/** Applies `steps` in turn to `x`, each intermediate `consumed` by the next step (`x` itself is left alone). */
export function chain(x: Tensor, ...steps: ((t: Tensor) => Tensor)[]): Tensor {
  let h = x;
  for (const step of steps) {
    const next = step(h);
    if (h !== x) consumed(h, next);
    h = next;
  }
  return h;
}

/** Children named "0", "1", … like torch.nn.Sequential; only for state_dict naming. */
export class Sequence extends Module {
  constructor(items: [string, Module][]) {
    super();
    for (const [name, m] of items) this.child(name, m);
  }
}

/** conv3×3 → norm → ReLU → conv3×3 → the same norm module → ReLU (keys conv.0, conv.1, conv.3, conv.4). */
export class DoubleConv extends Module {
  readonly conv1: Conv2d;
  readonly conv2: Conv2d;
  readonly norm: Norm;

  constructor(cin: number, cout: number, norm: Norm, rng: Rng) {
    super();
    this.conv1 = new Conv2d(cin, cout, 3, rng);
    this.conv2 = new Conv2d(cout, cout, 3, rng);
    this.norm = norm;
    this.child("conv", new Sequence([["0", this.conv1], ["1", norm], ["3", this.conv2], ["4", norm]]));
  }

  forward(x: Tensor): Tensor {
    const norm = (t: Tensor) => this.norm.forward(t);
    return chain(x, (t) => this.conv1.forward(t), norm, relu, (t) => this.conv2.forward(t), norm, relu);
  }
}

/**
 * Additive attention gate on a skip connection: W_gate and W_x (1×1 conv C→C/2) share one norm module;
 * psi (1×1 conv C/2→1, norm over one channel, sigmoid) weights the skip: out = skip × psi.
 * The gate signal is the upsampled tensor.
 */
export class AttentionGate extends Module {
  readonly wGate: Conv2d;
  readonly wX: Conv2d;
  readonly psiConv: Conv2d;

  constructor(channels: number, readonly norm: Norm, readonly psiNorm: Norm, rng: Rng) {
    super();
    const inter = channels / 2;
    this.wGate = new Conv2d(channels, inter, 1, rng);
    this.wX = new Conv2d(channels, inter, 1, rng);
    this.psiConv = new Conv2d(inter, 1, 1, rng);
    this.child("W_gate", new Sequence([["0", this.wGate], ["1", norm]]));
    this.child("W_x", new Sequence([["0", this.wX], ["1", norm]]));
    this.child("psi", new Sequence([["0", this.psiConv], ["1", psiNorm]]));
  }

  forward(g: Tensor, skip: Tensor): Tensor {
    const norm = (t: Tensor) => this.norm.forward(t);
    const g1 = chain(g, (t) => this.wGate.forward(t), norm);
    const x1 = chain(skip, (t) => this.wX.forward(t), norm);
    const sum = add(g1, x1);
    consumed(g1, sum);
    consumed(x1, sum);
    const psi = chain(sum, relu, (t) => this.psiConv.forward(t), (t) => this.psiNorm.forward(t), sigmoid);
    consumed(sum, psi);
    const out = gate(skip, psi);
    consumed(psi, out);
    return out;
  }
}
