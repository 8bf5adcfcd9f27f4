// Autograd rule for conv2d (3×3 padding 1, or 1×1), PyTorch layouts: x N×Cin×H×W, w Cout×Cin×k×k, b Cout.
import {
  conv2dBackwardBias,
  conv2dBackwardInput,
  conv2dBackwardWeight,
  type Conv2dDims,
  conv2dForward,
} from "../../kernels/conv2d.ts";
import { needsGrad, record } from "../autograd.ts";
import { rt, Tensor } from "../tensor.ts";

export function conv2d(x: Tensor, w: Tensor, b: Tensor | null): Tensor {
  const [n, cin, h, wd] = x.shape;
  const [cout, wcin, kh, kw] = w.shape;
  if (x.shape.length !== 4 || w.shape.length !== 4 || wcin !== cin || kh !== kw || (kh !== 1 && kh !== 3)) {
    throw new RangeError(`conv2d: input [${x.shape}] and weight [${w.shape}] do not fit (kernel 1×1 or 3×3)`);
  }
  if (b && (b.shape.length !== 1 || b.shape[0] !== cout)) {
    throw new RangeError(`conv2d: bias [${b.shape}] for ${cout} output channels`);
  }
  const dims: Conv2dDims = { n, cin, cout, h, w: wd, k: kh as 1 | 3 };
  const y = Tensor.empty([n, cout, h, wd]);
  conv2dForward(rt(), x.buffer, w.buffer, b?.buffer ?? null, y.buffer, dims);
  const parents = b ? [x, w, b] : [x, w];
  return record(y, "conv2d", parents, (g) => {
    let dx: Tensor | null = null, dw: Tensor | null = null, db: Tensor | null = null;
    if (needsGrad(x)) {
      dx = Tensor.empty(x.shape);
      conv2dBackwardInput(rt(), g.buffer, w.buffer, dx.buffer, dims);
    }
    if (needsGrad(w)) {
      dw = Tensor.empty(w.shape);
      conv2dBackwardWeight(rt(), x.buffer, g.buffer, dw.buffer, dims);
    }
    if (b && needsGrad(b)) {
      db = Tensor.empty(b.shape);
      conv2dBackwardBias(rt(), g.buffer, db.buffer, dims);
    }
    return b ? [dx, dw, db] : [dx, dw];
  });
}
