// The output-bias prior (Lin et al. 2017, "Focal loss", §3.3): start the final layer's bias at logit(π), π the
// fraction of CR pixels, so the untrained network already predicts p ≈ π everywhere. With PyTorch's default
// (bias ≈ 0, p ≈ 0.5) the first steps are spent pushing 99.6% of the pixels down, and a UNet with ReLU features
// tends to do that by learning sky detectors with negative output weights: CR pixels are then where every final
// feature is zero, they all get p = sigmoid(bias) exactly, and that tie (most CRs and the negatives that look like
// them) cannot be ranked — see the README's Training section.
import type { Dataset, SplitName } from "../../data/dataset.ts";

/** CR fraction of the non-ignored pixels in the validation split and the first `trainChunks` training chunks. */
export async function crFraction(ds: Pick<Dataset, "chunks">, trainChunks = 64): Promise<number> {
  let cr = 0, kept = 0;
  for (const [split, limit] of [["val", Infinity], ["train", trainChunks]] as [SplitName, number][]) {
    let n = 0;
    for await (const c of ds.chunks(split)) {
      if (n++ >= limit) break;
      for (let i = 0; i < c.mask.length; i++) {
        if (c.ignore && c.ignore[i]) continue;
        kept++;
        if (c.mask[i]) cr++;
      }
    }
  }
  if (kept === 0) throw new RangeError("crFraction: the dataset has no usable pixels in its val/train splits");
  return cr / kept;
}

/** logit(π), with π kept within [1e-6, 0.5] (an empty or CR-dominated sample must not give ±∞ or a positive prior). */
export function priorLogit(fraction: number): number {
  const p = Math.min(0.5, Math.max(1e-6, fraction));
  return Math.log(p / (1 - p));
}
