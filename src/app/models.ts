// Opening a checkpoint for use: load it, recognise it, and settle how it runs (settings.ts), in one call that every
// shell shares. The network's detection itself is src/nn/detect.ts.
import { loadModel, type LoadedModel } from "../nn/checkpoint/model.ts";
import type { Normalize } from "../nn/detect/prep.ts";
import type { VariantName } from "../nn/modules/unet.ts";
import { type RunSettings, runSettings } from "./settings.ts";
import { sha256Hex } from "./zoo.ts";

export interface OpenedModel extends LoadedModel {
  settings: RunSettings;
  sha256: string;
}

export async function openModel(
  bytes: Uint8Array,
  fileName: string,
  opts: { variant?: VariantName | "auto"; normalize?: Normalize; threshold?: number } = {},
): Promise<OpenedModel> {
  const sha256 = await sha256Hex(bytes);
  const loaded = await loadModel(bytes, fileName, opts.variant ?? "auto");
  try {
    const settings = runSettings({
      fileName,
      variant: loaded.variant,
      metadata: loaded.metadata,
      sha256,
      pth: bytes[0] === 0x50 && bytes[1] === 0x4b,
    }, { normalize: opts.normalize, threshold: opts.threshold });
    return { ...loaded, settings, sha256 };
  } catch (e) {
    loaded.model.release();
    throw e;
  }
}
