// How a loaded checkpoint is run: one policy for every shell (detect, eval, bench:real). Each setting comes from the
// first of: an explicit flag, the model's own card (our safetensors metadata, or the registry entry of a published
// checkpoint recognised by its sha256), the variant's default.
import { type Normalize, parseNormalize } from "../nn/detect/prep.ts";
import type { VariantName } from "../nn/modules/unet.ts";
import { type PublishedModel, publishedBySha } from "./zoo.ts";

export interface RunSettings {
  normalize: Normalize;
  threshold: number;
  /** The training masks were 3×3-dilated; evaluations dilate the predictions of models whose masks were not. */
  dilatedMasks: boolean;
  /** Where each setting came from, for logs and reports. */
  from: { normalize: string; threshold: string; dilatedMasks: string };
  published?: PublishedModel;
}

/** A checkpoint's metadata or a flag that cannot be used, named. */
export class SettingsError extends Error {
  override name = "SettingsError";
}

export interface SettingsInput {
  fileName: string;
  variant: VariantName;
  metadata: Readonly<Record<string, string>>;
  /** sha256 of the checkpoint file (sha256Hex), to recognise published checkpoints. */
  sha256?: string;
  /** A .pth file (PyTorch) rather than our safetensors. */
  pth: boolean;
}

export function runSettings(
  m: SettingsInput,
  flags: { normalize?: Normalize; threshold?: number } = {},
): RunSettings {
  const published = m.sha256 ? publishedBySha(m.sha256) : undefined;
  const own = (key: string) => Object.hasOwn(m.metadata, key) ? m.metadata[key] : undefined;

  let normalize: Normalize, normalizeFrom: string;
  const metaNormalize = own("normalize");
  if (flags.normalize !== undefined) [normalize, normalizeFrom] = [flags.normalize, "flag"];
  else if (metaNormalize !== undefined) {
    try {
      normalize = parseNormalize(metaNormalize);
    } catch (e) {
      throw new SettingsError(`${m.fileName}: metadata 'normalize': ${(e as Error).message}`);
    }
    normalizeFrom = "model metadata";
  } else if (published) [normalize, normalizeFrom] = [published.normalize, `${published.name} (its authors' code)`];
  else {
    // Cosmic-CoNN's own inference subtracts the median; the paper's models were trained on raw ADU with sky.
    normalize = m.variant === "cosmic-conn-lco" ? "median" : "none";
    normalizeFrom = `default for ${m.variant}`;
  }

  let threshold = 0.5, thresholdFrom = "default";
  const metaThreshold = own("threshold");
  if (flags.threshold !== undefined) [threshold, thresholdFrom] = [flags.threshold, "flag"];
  else if (metaThreshold !== undefined) {
    threshold = metaThreshold.trim() === "" ? NaN : Number(metaThreshold);
    if (!(threshold >= 0 && threshold <= 1)) {
      throw new SettingsError(`${m.fileName}: metadata 'threshold' must be a number in [0, 1] (got '${metaThreshold}')`);
    }
    thresholdFrom = "model metadata";
  }

  let dilatedMasks: boolean, dilatedFrom: string;
  const metaDilated = own("dilated_masks");
  if (metaDilated !== undefined) [dilatedMasks, dilatedFrom] = [metaDilated === "true", "model metadata"];
  else if (published) [dilatedMasks, dilatedFrom] = [published.dilatedMasks, published.name];
  else if (m.pth) {
    // Unknown .pth: the paper's recipe dilates its masks; Cosmic-CoNN's LCO variant does not.
    [dilatedMasks, dilatedFrom] = [m.variant !== "cosmic-conn-lco", `default for a ${m.variant} .pth`];
  } else [dilatedMasks, dilatedFrom] = [false, "no dilated_masks metadata"];

  return {
    normalize,
    threshold,
    dilatedMasks,
    from: { normalize: normalizeFrom, threshold: thresholdFrom, dilatedMasks: dilatedFrom },
    ...(published ? { published } : {}),
  };
}
