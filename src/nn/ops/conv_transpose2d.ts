// Autograd rule for ConvTranspose2d with a 2×2 kernel and stride 2 (PyTorch nn.ConvTranspose2d(cin, cout, 2, 2)).
import {
  convTranspose2dBackwardBias,
  convTranspose2dBackwardInput,
  convTranspose2dBackwardWeight,
  type ConvTranspose2dDims,
  convTranspose2dForward,
} from "../../kernels/conv_transpose2d.ts";
import { needsGrad, record } from "../autograd.ts";
import { rt, Tensor } from "../tensor.ts";

/** x: [n, cin, h, w], w: [cin, cout, 2, 2], b: [cout] or null → [n, cout, 2h, 2w]. */
export function convTranspose2d(x: Tensor, w: Tensor, b: Tensor | null): Tensor {
  const d = dims(x, w, b);
  const y = Tensor.empty([d.n, d.cout, 2 * d.h, 2 * d.w]);
  convTranspose2dForward(rt(), x.buffer, w.buffer, b ? b.buffer : null, y.buffer, d);
  const parents = b ? [x, w, b] : [x, w];
  return record(y, "convTranspose2d", parents, (g) => {
    let dx: Tensor | null = null;
    let dw: Tensor | null = null;
    let db: Tensor | null = null;
    if (needsGrad(x)) {
      dx = Tensor.empty(x.shape);
      convTranspose2dBackwardInput(rt(), g.buffer, w.buffer, dx.buffer, d);
    }
    if (b && needsGrad(b)) db = Tensor.empty(b.shape);
    if (needsGrad(w)) {
      // The weight-gradient kernel also sums dy for the bias: one pass over dy for both.
      dw = Tensor.empty(w.shape);
      convTranspose2dBackwardWeight(rt(), x.buffer, g.buffer, dw.buffer, d, db ? db.buffer : null);
    } else if (db) {
      convTranspose2dBackwardBias(rt(), g.buffer, db.buffer, d);
    }
    return b ? [dx, dw, db] : [dx, dw];
  });
}

function dims(x: Tensor, w: Tensor, b: Tensor | null): ConvTranspose2dDims {
  const [n, cin, h, wd] = x.shape;
  if (x.shape.length !== 4) throw new RangeError(`convTranspose2d: input must be [n, cin, h, w], got [${x.shape}]`);
  const [wcin, cout, kh, kw] = w.shape;
  if (w.shape.length !== 4 || wcin !== cin || kh !== 2 || kw !== 2) {
    throw new RangeError(
      `convTranspose2d: weight must be [${cin}, cout, 2, 2] for input [${x.shape}], got [${w.shape}]`,
    );
  }
  if (b && (b.shape.length !== 1 || b.shape[0] !== cout)) {
    throw new RangeError(`convTranspose2d: bias must be [${cout}], got [${b.shape}]`);
  }
  return { n, cin, cout, h, w: wd };
}
