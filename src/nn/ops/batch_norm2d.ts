// BatchNorm2d with PyTorch's semantics (nn.BatchNorm2d(C, eps, momentum, affine)), as an autograd op.
import { batchNorm2dBackward, batchNorm2dForward, type BatchNorm2dShape } from "../../kernels/batch_norm2d.ts";
import { needsGrad, record } from "../autograd.ts";
import { rt, Tensor } from "../tensor.ts";

export interface BatchNorm2dOptions {
  /** Batch statistics (and a running-stat update) when true; running statistics when false. */
  training: boolean;
  /** Weight of the new batch statistic in the running ones (PyTorch's momentum; the paper's models use 0.005). */
  momentum: number;
  eps?: number;
}

function checkVector(what: string, t: Tensor | null, c: number): void {
  if (t && (t.shape.length !== 1 || t.shape[0] !== c)) {
    throw new RangeError(`batch_norm2d: ${what} has shape [${t.shape}], expected [${c}]`);
  }
}

/**
 * y = (x − mean)/sqrt(var + eps)·weight + bias per channel of an NCHW tensor. In training mode mean and (biased)
 * var are the batch's over N·H·W and `runningMean`/`runningVar` are updated in place (unbiased variance), once per
 * call: a module applied twice updates them twice, as in PyTorch. weight and bias are both given or both null.
 */
export function batchNorm2d(
  x: Tensor,
  weight: Tensor | null,
  bias: Tensor | null,
  runningMean: Tensor,
  runningVar: Tensor,
  opts: BatchNorm2dOptions,
): Tensor {
  if (x.shape.length !== 4) throw new RangeError(`batch_norm2d: input must be NCHW, got [${x.shape}]`);
  if ((weight === null) !== (bias === null)) throw new RangeError("batch_norm2d: weight and bias must both be given or both be null");
  const [n, c, h, w] = x.shape;
  if (x.size === 0) throw new RangeError(`batch_norm2d: empty input [${x.shape}]`);
  checkVector("weight", weight, c);
  checkVector("bias", bias, c);
  checkVector("running_mean", runningMean, c);
  checkVector("running_var", runningVar, c);
  const shape: BatchNorm2dShape = { n, c, plane: h * w };
  const mode = { training: opts.training, momentum: opts.momentum, eps: opts.eps ?? 1e-5 };
  const y = Tensor.empty(x.shape);
  const coef = Tensor.empty([n * c, 4]);
  batchNorm2dForward(rt(), shape, {
    x: x.buffer,
    weight: weight?.buffer ?? null,
    bias: bias?.buffer ?? null,
    runningMean: runningMean.buffer,
    runningVar: runningVar.buffer,
    coef: coef.buffer,
    y: y.buffer,
  }, mode);
  const parents = weight && bias ? [x, weight, bias] : [x];
  return record(y, "batch_norm2d", parents, (g) => {
    const dx = needsGrad(x) ? Tensor.empty(x.shape) : null;
    const params = parents.slice(1).some(needsGrad);
    const dweight = params ? Tensor.empty([c]) : null;
    const dbias = params ? Tensor.empty([c]) : null;
    batchNorm2dBackward(rt(), shape, {
      dy: g.buffer,
      x: x.buffer,
      coef: coef.buffer,
      weight: weight?.buffer ?? null,
      dx: dx?.buffer ?? null,
      dweight: dweight?.buffer ?? null,
      dbias: dbias?.buffer ?? null,
    }, mode);
    return [dx, dweight, dbias].slice(0, parents.length);
  }, [coef]);
}
