// GroupNorm with PyTorch's semantics (nn.GroupNorm(G, C, eps, affine)), as an autograd op.
import { groupNormBackward, groupNormForward, type GroupNormShape } from "../../kernels/group_norm.ts";
import { needsGrad, record } from "../autograd.ts";
import { rt, Tensor } from "../tensor.ts";

/**
 * Per sample and per group of C/G consecutive channels of an NCHW tensor: y = (x − mean)/sqrt(var + eps), mean and
 * biased var over (C/G)·H·W, then ·weight[c] + bias[c] when affine (both given or both null).
 */
export function groupNorm(x: Tensor, groups: number, weight: Tensor | null, bias: Tensor | null, eps = 1e-5): Tensor {
  if (x.shape.length !== 4) throw new RangeError(`group_norm: input must be NCHW, got [${x.shape}]`);
  const [n, c, h, w] = x.shape;
  if (x.size === 0) throw new RangeError(`group_norm: empty input [${x.shape}]`);
  if (!Number.isInteger(groups) || groups < 1 || c % groups !== 0) {
    throw new RangeError(`group_norm: ${c} channels cannot be split into ${groups} groups`);
  }
  if ((weight === null) !== (bias === null)) throw new RangeError("group_norm: weight and bias must both be given or both be null");
  for (const [what, t] of [["weight", weight], ["bias", bias]] as const) {
    if (t && (t.shape.length !== 1 || t.shape[0] !== c)) {
      throw new RangeError(`group_norm: ${what} has shape [${t.shape}], expected [${c}]`);
    }
  }
  const shape: GroupNormShape = { n, c, groups, plane: h * w };
  const y = Tensor.empty(x.shape);
  const coef = Tensor.empty([n * c, 4]);
  groupNormForward(rt(), shape, {
    x: x.buffer,
    weight: weight?.buffer ?? null,
    bias: bias?.buffer ?? null,
    coef: coef.buffer,
    y: y.buffer,
  }, eps);
  const parents = weight && bias ? [x, weight, bias] : [x];
  return record(y, "group_norm", parents, (g) => {
    const dx = needsGrad(x) ? Tensor.empty(x.shape) : null;
    const params = parents.slice(1).some(needsGrad);
    const dweight = params ? Tensor.empty([c]) : null;
    const dbias = params ? Tensor.empty([c]) : null;
    groupNormBackward(rt(), shape, {
      dy: g.buffer,
      x: x.buffer,
      coef: coef.buffer,
      weight: weight?.buffer ?? null,
      dx: dx?.buffer ?? null,
      dweight: dweight?.buffer ?? null,
      dbias: dbias?.buffer ?? null,
    }, eps);
    return [dx, dweight, dbias].slice(0, parents.length);
  }, [coef]);
}
