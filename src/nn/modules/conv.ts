// Conv2d (3×3 padding 1 or 1×1) and ConvTranspose2d (2×2 stride 2), PyTorch layouts and default initialisation.
import { Module } from "../module.ts";
import { type Rng, uniformArray } from "../init.ts";
import { conv2d } from "../ops/conv2d.ts";
import { convTranspose2d } from "../ops/conv_transpose2d.ts";
import { Tensor } from "../tensor.ts";

export class Conv2d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(readonly cin: number, readonly cout: number, readonly kernel: 1 | 3, rng: Rng, bias = true) {
    super();
    const fanIn = cin * kernel * kernel;
    const bound = 1 / Math.sqrt(fanIn);
    this.weight = this.param("weight", Tensor.fromArray(uniformArray(cout * fanIn, bound, rng), [cout, cin, kernel, kernel]));
    this.bias = bias ? this.param("bias", Tensor.fromArray(uniformArray(cout, bound, rng), [cout])) : null;
  }

  forward(x: Tensor): Tensor {
    return conv2d(x, this.weight, this.bias);
  }
}

export class ConvTranspose2d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor;

  constructor(readonly cin: number, readonly cout: number, rng: Rng) {
    super();
    // PyTorch computes fan_in from weight.size(1) = cout for transposed convs.
    const bound = 1 / Math.sqrt(cout * 4);
    this.weight = this.param("weight", Tensor.fromArray(uniformArray(cin * cout * 4, bound, rng), [cin, cout, 2, 2]));
    this.bias = this.param("bias", Tensor.fromArray(uniformArray(cout, bound, rng), [cout]));
  }

  forward(x: Tensor): Tensor {
    return convTranspose2d(x, this.weight, this.bias);
  }
}
