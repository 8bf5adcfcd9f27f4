// The attention gate's product: x (N×C×H×W) scaled by the gate psi (N×1×H×W), broadcast over channels.
import { gateBackwardPsi, gateForward, type GateShape } from "../../kernels/gate.ts";
import { needsGrad, record } from "../autograd.ts";
import { rt, Tensor } from "../tensor.ts";

/** y[n,c,h,w] = x[n,c,h,w]·psi[n,0,h,w]. */
export function gate(x: Tensor, psi: Tensor): Tensor {
  const [n, c, h, w] = x.shape;
  if (
    x.shape.length !== 4 || psi.shape.length !== 4 || psi.shape[0] !== n || psi.shape[1] !== 1 ||
    psi.shape[2] !== h || psi.shape[3] !== w
  ) {
    throw new RangeError(`gate: x [${x.shape}] needs psi [${n},1,${h},${w}], got [${psi.shape}]`);
  }
  const s: GateShape = { n, c, plane: h * w };
  const y = Tensor.empty(x.shape);
  gateForward(rt(), x.buffer, psi.buffer, y.buffer, s);
  return record(y, "gate", [x, psi], (g) => {
    let dx: Tensor | null = null;
    let dpsi: Tensor | null = null;
    if (needsGrad(x)) {
      dx = Tensor.empty(x.shape);
      gateForward(rt(), g.buffer, psi.buffer, dx.buffer, s);
    }
    if (needsGrad(psi)) {
      dpsi = Tensor.empty(psi.shape);
      gateBackwardPsi(rt(), g.buffer, x.buffer, dpsi.buffer, s);
    }
    return [dx, dpsi];
  });
}
