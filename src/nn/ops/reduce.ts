// Whole-tensor sum and mean (one-element results); the backward broadcasts the upstream scalar.
import { broadcastScalar, reduceSum } from "../../kernels/reduce.ts";
import { record } from "../autograd.ts";
import { rt, Tensor } from "../tensor.ts";

/** Σ x over every element, as a one-element tensor of shape [1]. */
export function sum(x: Tensor): Tensor {
  return reduce("sum", x, 1);
}

/** Mean over every element (shape [1]); an empty tensor gives 0. */
export function mean(x: Tensor): Tensor {
  return reduce("mean", x, Math.max(1, x.size));
}

function reduce(op: string, x: Tensor, divisor: number): Tensor {
  const y = Tensor.empty([1]);
  reduceSum(rt(), x.buffer, x.size, y.buffer, 0, divisor);
  return record(y, op, [x], (g) => {
    const dx = Tensor.empty(x.shape);
    broadcastScalar(rt(), g.buffer, 0, dx.buffer, dx.size, divisor);
    return [dx];
  });
}
