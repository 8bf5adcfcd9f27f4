// Binary cross-entropy on probabilities, PyTorch's nn.BCELoss(reduction="mean") with an optional weight map, plus
// an ignore mask (Cosmic-CoNN/deepCR datasets): the mean is taken over the pixels that are not ignored.
import { BCE_STATS, bceBackward, bceForward, type BceInputs } from "../../kernels/bce_loss.ts";
import { record } from "../autograd.ts";
import { rt, Tensor } from "../tensor.ts";

export interface BceOptions {
  /** Per-element weight (PyTorch's `weight`, same shape as p). */
  weight?: Tensor;
  /** 1 where a pixel is left out of the loss, 0 elsewhere (same shape as p). */
  ignore?: Tensor;
}

/**
 * mean over kept pixels of −w·(t·log p + (1 − t)·log(1 − p)), each log clamped at −100; a one-element tensor.
 * With nothing kept the loss and its gradient are 0. Only p gets a gradient:
 * g·w·(p − t)/max(p(1 − p), 1e-12)/kept, as PyTorch's binary_cross_entropy_backward.
 */
export function bceLoss(p: Tensor, target: Tensor, opts: BceOptions = {}): Tensor {
  for (const [name, t] of [["target", target], ["weight", opts.weight], ["ignore", opts.ignore]] as const) {
    if (t && (t.shape.length !== p.shape.length || t.shape.some((d, i) => d !== p.shape[i]))) {
      throw new RangeError(`bceLoss: ${name} [${t.shape}] differs from p [${p.shape}]`);
    }
  }
  const inputs = (): BceInputs => ({
    p: p.buffer,
    target: target.buffer,
    weight: opts.weight?.buffer ?? null,
    ignore: opts.ignore?.buffer ?? null,
    count: p.size,
  });
  const y = Tensor.empty([1]);
  const stats = Tensor.empty([BCE_STATS]);
  bceForward(rt(), inputs(), y.buffer, stats.buffer);
  return record(y, "bce_loss", [p], (g) => {
    const dp = Tensor.empty(p.shape);
    bceBackward(rt(), inputs(), g.buffer, stats.buffer, dp.buffer);
    return [dp];
  }, [stats]);
}
