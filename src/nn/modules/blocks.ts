// The UNet's building blocks, named like the published PyTorch models so state_dict keys match.
import { Module } from "../module.ts";
import type { Rng } from "../init.ts";
import { add, relu, sigmoid } from "../ops/elementwise.ts";
import { gate } from "../ops/gate.ts";
import type { Tensor } from "../tensor.ts";
import { Conv2d } from "./conv.ts";
import type { Norm } from "./norm.ts";

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
    const h = relu(this.norm.forward(this.conv1.forward(x)));
    return relu(this.norm.forward(this.conv2.forward(h)));
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
    const g1 = this.norm.forward(this.wGate.forward(g));
    const x1 = this.norm.forward(this.wX.forward(skip));
    const psi = sigmoid(this.psiNorm.forward(this.psiConv.forward(relu(add(g1, x1)))));
    return gate(skip, psi);
  }
}
