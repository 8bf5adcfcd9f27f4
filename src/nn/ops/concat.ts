// Concatenation along channels (the UNet's [skip, upsampled]); the backward splits the gradient into the pieces.
import { concatChannels, splitChannels } from "../../kernels/concat.ts";
import { needsGrad, record } from "../autograd.ts";
import { rt, Tensor } from "../tensor.ts";

/** N×C_i×H×W pieces → N×ΣC_i×H×W. */
export function concat(tensors: Tensor[]): Tensor {
  if (tensors.length === 0) throw new RangeError("concat: no tensors");
  const [n, , h, w] = tensors[0].shape;
  for (const t of tensors) {
    if (t.shape.length !== 4 || t.shape[0] !== n || t.shape[2] !== h || t.shape[3] !== w) {
      throw new RangeError(`concat: shapes [${tensors.map((x) => `[${x.shape}]`).join(", ")}] differ outside channels`);
    }
  }
  const channels = tensors.reduce((s, t) => s + t.shape[1], 0);
  const y = Tensor.empty([n, channels, h, w]);
  concatChannels(rt(), tensors.map((t) => ({ buffer: t.buffer, channels: t.shape[1] })), y.buffer, n, h * w);
  return record(y, "concat", tensors, (g) => {
    const grads = tensors.map((t) => (needsGrad(t) ? Tensor.empty(t.shape) : null));
    const pieces = tensors.map((t, i) => ({ buffer: grads[i]?.buffer ?? null, channels: t.shape[1] }));
    splitChannels(rt(), g.buffer, pieces, n, h * w);
    return grads;
  });
}
