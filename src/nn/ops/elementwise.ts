// Autograd rules for the flat elementwise ops of shaders/elementwise.wgsl.
import { binary, unary } from "../../kernels/elementwise.ts";
import { record } from "../autograd.ts";
import { rt, Tensor } from "../tensor.ts";

function sameShape(op: string, a: Tensor, b: Tensor): void {
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new RangeError(`${op}: shapes [${a.shape}] and [${b.shape}] differ`);
  }
}

export function add(a: Tensor, b: Tensor): Tensor {
  sameShape("add", a, b);
  const y = Tensor.empty(a.shape);
  binary(rt(), "add", a.buffer, b.buffer, y.buffer, y.size);
  // One parent may take a view of g; the other needs its own copy (gradients are accumulated in place).
  return record(y, "add", [a, b], (g) => [g.view(a.shape), scale(g, 1)]);
}

/** Elementwise product of equal shapes (the attention gate's broadcast product is `gate` in ops/gate.ts). */
export function mul(a: Tensor, b: Tensor): Tensor {
  sameShape("mul", a, b);
  const y = Tensor.empty(a.shape);
  binary(rt(), "mul", a.buffer, b.buffer, y.buffer, y.size);
  return record(y, "mul", [a, b], (g) => [mulRaw(g, b), mulRaw(g, a)]);
}

function mulRaw(a: Tensor, b: Tensor): Tensor {
  const y = Tensor.empty(a.shape);
  binary(rt(), "mul", a.buffer, b.buffer, y.buffer, y.size);
  return y;
}

export function relu(x: Tensor): Tensor {
  const y = Tensor.empty(x.shape);
  unary(rt(), "relu", x.buffer, y.buffer, y.size);
  return record(y, "relu", [x], (g) => {
    const dx = Tensor.empty(x.shape);
    binary(rt(), "relu_backward", x.buffer, g.buffer, dx.buffer, dx.size);
    return [dx];
  });
}

export function sigmoid(x: Tensor): Tensor {
  const y = Tensor.empty(x.shape);
  unary(rt(), "sigmoid", x.buffer, y.buffer, y.size);
  return record(y, "sigmoid", [x], (g) => {
    const dx = Tensor.empty(x.shape);
    binary(rt(), "sigmoid_backward", y.buffer, g.buffer, dx.buffer, dx.size);
    return [dx];
  });
}

/** y = s·x. */
export function scale(x: Tensor, s: number): Tensor {
  const y = Tensor.empty(x.shape);
  unary(rt(), "scale", x.buffer, y.buffer, y.size, s);
  return record(y, "scale", [x], (g) => [scale(g, s)]);
}

/** Same values, new shape; the gradient is reshaped back. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const y = x.view(shape);
  return record(y, "reshape", [x], (g) => [g.view(x.shape)]);
}
