// Autograd rule for MaxPool2d 2×2, stride 2 (PyTorch nn.MaxPool2d(2)).
import { maxPool2dBackward, type MaxPool2dDims, maxPool2dForward } from "../../kernels/max_pool2d.ts";
import { isGradEnabled, needsGrad, record } from "../autograd.ts";
import { rt, Tensor } from "../tensor.ts";

/** x: [n, c, h, w] → [n, c, floor(h/2), floor(w/2)]. */
export function maxPool2d(x: Tensor): Tensor {
  if (x.shape.length !== 4) throw new RangeError(`maxPool2d: input must be [n, c, h, w], got [${x.shape}]`);
  const [n, c, h, w] = x.shape;
  const d: MaxPool2dDims = { n, c, h, w };
  const outShape = [n, c, Math.floor(h / 2), Math.floor(w / 2)];
  const y = Tensor.empty(outShape);
  // The window positions are only kept when a backward pass can use them.
  const index = isGradEnabled() && needsGrad(x) ? Tensor.empty(outShape) : null;
  maxPool2dForward(rt(), x.buffer, y.buffer, index ? index.buffer : null, d);
  if (!index) return y;
  return record(y, "maxPool2d", [x], (g) => {
    const dx = Tensor.empty(x.shape);
    maxPool2dBackward(rt(), g.buffer, index.buffer, dx.buffer, d);
    return [dx];
  }, [index]);
}
