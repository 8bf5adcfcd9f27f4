// UNet of configurable depth and width, and the named variants of Bhavanam et al. (2022) and Cosmic-CoNN.
// Keys follow the published checkpoints: inc, down1…, up…1, outc (see ../shared/README.md).
import { Module } from "../module.ts";
import { Rng } from "../init.ts";
import { concat } from "../ops/concat.ts";
import { sigmoid } from "../ops/elementwise.ts";
import { maxPool2d } from "../ops/max_pool2d.ts";
import { rt, type Tensor } from "../tensor.ts";
import { AttentionGate, chain, consumed, DoubleConv, Sequence } from "./blocks.ts";
import { Conv2d, ConvTranspose2d } from "./conv.ts";
import { BatchNorm2d, GroupNorm, type Norm } from "./norm.ts";

export type NormSpec =
  | { kind: "batch"; momentum: number }
  | { kind: "group"; groups: number; affine: boolean };

export interface UNetConfig {
  /** Resolution levels (3 for UNet-3-32): depth − 1 poolings. */
  depth: number;
  /** Channels at full resolution (32); doubled at each level. */
  width: number;
  norm: NormSpec;
  attention: boolean;
  inChannels?: number;
}

export const VARIANTS = {
  "deepcr": { depth: 3, width: 32, norm: { kind: "batch", momentum: 0.005 }, attention: false },
  "att-deepcr": { depth: 3, width: 32, norm: { kind: "batch", momentum: 0.005 }, attention: true },
  "cosmic-conn": { depth: 3, width: 32, norm: { kind: "group", groups: 8, affine: false }, attention: false },
  "att-cosmic-conn": { depth: 3, width: 32, norm: { kind: "group", groups: 8, affine: false }, attention: true },
  /** Cosmic-CoNN v0.2.8's own LCO ground-imaging model: GroupNorm with affine parameters. */
  "cosmic-conn-lco": { depth: 3, width: 32, norm: { kind: "group", groups: 8, affine: true }, attention: false },
} as const satisfies Record<string, UNetConfig>;

export type VariantName = keyof typeof VARIANTS;

function makeNorm(spec: NormSpec, channels: number): Norm {
  if (spec.kind === "batch") return new BatchNorm2d(channels, spec.momentum);
  // One channel (attention psi) is GroupNorm(1, 1); fewer channels than groups use one group per channel.
  return new GroupNorm(Math.min(spec.groups, channels), channels, spec.affine);
}

/** MaxPool2d as a module (no parameters), so `down_cov.0` exists like in PyTorch. */
class MaxPool extends Module {
  forward(x: Tensor): Tensor {
    return maxPool2d(x);
  }
}

class Down extends Module {
  readonly block: DoubleConv;
  private readonly pool = new MaxPool();

  constructor(cin: number, cout: number, norm: NormSpec, rng: Rng) {
    super();
    this.block = new DoubleConv(cin, cout, makeNorm(norm, cout), rng);
    this.child("down_cov", new Sequence([["0", this.pool], ["1", this.block]]));
  }

  forward(x: Tensor): Tensor {
    return chain(x, (t) => this.pool.forward(t), (t) => this.block.forward(t));
  }
}

class Up extends Module {
  readonly upConv: ConvTranspose2d;
  readonly attention: AttentionGate | null;
  readonly block: DoubleConv;

  /** `cin` channels come up from below; the skip and the output have cin/2. */
  constructor(cin: number, cfg: UNetConfig, rng: Rng) {
    super();
    const cout = cin / 2;
    this.upConv = this.child("up_conv", new ConvTranspose2d(cin, cout, rng));
    this.attention = cfg.attention
      ? this.child("attention", new AttentionGate(cout, makeNorm(cfg.norm, cout / 2), makeNorm(cfg.norm, 1), rng))
      : null;
    this.block = this.child("conv", new DoubleConv(cin, cout, makeNorm(cfg.norm, cout), rng));
  }

  /** Takes ownership of `below` and `skip`: in inference each is released once read (see `consumed`). */
  forward(below: Tensor, skip: Tensor): Tensor {
    const up = this.upConv.forward(below);
    consumed(below, up);
    let gated = skip;
    if (this.attention) {
      gated = this.attention.forward(up, skip);
      consumed(skip, gated);
    }
    const both = concat([gated, up]);
    consumed(gated, both);
    consumed(up, both);
    const out = this.block.forward(both);
    consumed(both, out);
    return out;
  }
}

export class UNet extends Module {
  readonly config: UNetConfig;
  private readonly inc: DoubleConv;
  private readonly downs: Down[] = [];
  private readonly ups: Up[] = [];
  private readonly outc: Conv2d;

  constructor(config: UNetConfig, seed = 0) {
    super();
    this.config = config;
    const rng = new Rng(seed);
    const { depth, width, norm } = config;
    const cin = config.inChannels ?? 1;
    this.inc = new DoubleConv(cin, width, makeNorm(norm, width), rng);
    this.child("inc", new Sequence([["conv", this.inc]]));
    for (let i = 1; i < depth; i++) {
      this.downs.push(this.child(`down${i}`, new Down(width << (i - 1), width << i, norm, rng)));
    }
    // Registered top-down (up2 before up1), as the published models list them.
    for (let i = depth - 1; i >= 1; i--) this.ups.unshift(this.child(`up${i}`, new Up(width << i, config, rng)));
    this.outc = new Conv2d(width, 1, 1, rng);
    this.child("outc", new Sequence([["conv", this.outc]]));
  }

  /** Sets the output layer's bias (a logit) — the prior initialisation of src/nn/train/prior.ts. */
  setOutputBias(logit: number): void {
    rt().write(this.outc.bias!.buffer, 0, Float32Array.of(logit));
  }

  /** Multiple every input side must be divisible by (one per pooling). */
  get sizeMultiple(): number {
    return 1 << (this.config.depth - 1);
  }

  /** Raw logits (before the sigmoid): N×1×H×W. */
  logits(x: Tensor): Tensor {
    const [, , h, w] = x.shape;
    const m = this.sizeMultiple;
    if (h % m || w % m) {
      throw new RangeError(`UNet: input ${h}×${w} must be a multiple of ${m} on each side (pad it first)`);
    }
    // In inference every activation is released once its last reader has run (see `consumed`): the skips live
    // until their decoder level, everything else only as long as the next op needs it.
    const skips = [this.inc.forward(x)];
    for (const d of this.downs) skips.push(d.forward(skips[skips.length - 1]));
    let up = skips.pop()!;
    for (let i = this.ups.length - 1; i >= 0; i--) up = this.ups[i].forward(up, skips[i]);
    const out = this.outc.forward(up);
    consumed(up, out);
    return out;
  }

  /** CR probabilities: sigmoid of the logits. */
  forward(x: Tensor): Tensor {
    return chain(x, (t) => this.logits(t), sigmoid);
  }
}

export function createVariant(name: VariantName, seed = 0): UNet {
  const cfg = VARIANTS[name];
  if (!cfg) throw new Error(`unknown variant "${name}" (known: ${Object.keys(VARIANTS).join(", ")})`);
  return new UNet(cfg, seed);
}
