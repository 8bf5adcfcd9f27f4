// Checkpoint ↔ UNet: strict loading of PyTorch state_dicts and our safetensors files into the named variants,
// and saving our own checkpoints (safetensors with metadata).
import { createVariant, type UNet, VARIANTS, type VariantName } from "../modules/unet.ts";
import { rt } from "../tensor.ts";
import { loadPth } from "./pth.ts";
import { loadSafetensors, saveSafetensors } from "./safetensors.ts";
import { CheckpointError, type StateDict, type TensorData } from "./types.ts";

export interface LoadedModel {
  model: UNet;
  variant: VariantName;
  /** safetensors metadata (empty for .pth files). */
  metadata: Record<string, string>;
}

/** Buffers PyTorch may or may not write (older checkpoints have no num_batches_tracked). */
const OPTIONAL = /(^|\.)num_batches_tracked$/;

/** Guesses the variant from state_dict keys: attention gates, BatchNorm running stats, affine GroupNorm. */
export function inferVariant(keys: Iterable<string>, fileName = "checkpoint"): VariantName {
  const list = [...keys];
  const attention = list.some((k) => k.includes(".attention."));
  const batchNorm = list.some((k) => k.endsWith(".running_mean"));
  const affineGroupNorm = !batchNorm && list.includes("inc.conv.conv.1.weight");
  if (batchNorm) return attention ? "att-deepcr" : "deepcr";
  if (affineGroupNorm) {
    if (attention) throw new CheckpointError(fileName, "attention with affine GroupNorm is not a known variant");
    return "cosmic-conn-lco";
  }
  return attention ? "att-cosmic-conn" : "cosmic-conn";
}

function stripPrefix(sd: StateDict): StateDict {
  const all = [...sd.keys()];
  if (all.length === 0 || !all.every((k) => k.startsWith("module."))) return sd;
  return new Map([...sd].map(([k, v]) => [k.slice("module.".length), v]));
}

function toFloat32(t: TensorData): Float32Array {
  if (t.data instanceof Float32Array) return t.data;
  if (t.data instanceof BigInt64Array) return Float32Array.from(t.data, (v) => Number(v));
  return Float32Array.from(t.data as ArrayLike<number>);
}

/**
 * Copies a state dict into `model`, strictly: every key must exist with the right shape. Aliases of a shared
 * module (e.g. `inc.conv.conv.1.*` and `.4.*`) may both be present (then they must be equal) or only one.
 */
export function applyStateDict(model: UNet, raw: StateDict, fileName: string): void {
  const sd = stripPrefix(raw);
  const target = model.stateDict();
  const missing: string[] = [], unexpected: string[] = [], badShape: string[] = [];
  for (const k of sd.keys()) if (!target.has(k)) unexpected.push(k);
  // Group the model's names by tensor: one load per tensor, from whichever alias the file has.
  const byTensor = new Map<object, string[]>();
  for (const [k, t] of target) byTensor.set(t, [...(byTensor.get(t) ?? []), k]);
  const uploads: [string, Float32Array][] = [];
  for (const [tensor, names] of byTensor) {
    const present = names.filter((n) => sd.has(n));
    if (present.length === 0) {
      if (!names.every((n) => OPTIONAL.test(n))) missing.push(names.join(" = "));
      continue;
    }
    const shape = (tensor as { shape: readonly number[] }).shape;
    const first = sd.get(present[0])!;
    const okShape = (t: TensorData) =>
      t.shape.reduce((a, b) => a * b, 1) === shape.reduce((a, b) => a * b, 1) &&
      (t.shape.length === shape.length ? t.shape.every((d, i) => d === shape[i]) : shape.length === 0);
    for (const n of present) {
      const t = sd.get(n)!;
      if (!okShape(t)) badShape.push(`${n}: file [${t.shape}], model [${shape}]`);
    }
    const values = toFloat32(first);
    for (const n of present.slice(1)) {
      const other = toFloat32(sd.get(n)!);
      if (other.length === values.length && other.some((v, i) => v !== values[i])) {
        badShape.push(`${n}: differs from its shared alias ${present[0]}`);
      }
    }
    uploads.push([names[0], values]);
  }
  if (missing.length || unexpected.length || badShape.length) {
    const parts = [
      missing.length ? `missing keys: ${missing.join(", ")}` : "",
      unexpected.length ? `unexpected keys: ${unexpected.join(", ")}` : "",
      badShape.length ? `wrong shapes: ${badShape.join("; ")}` : "",
    ].filter(Boolean);
    throw new CheckpointError(fileName, `does not match the model: ${parts.join(" | ")}`);
  }
  for (const [name, values] of uploads) rt().write(target.get(name)!.buffer, 0, values);
}

function isSafetensors(bytes: Uint8Array): boolean {
  // Zip files start with "PK"; safetensors with a little-endian header length followed by '{'.
  return bytes.length >= 9 && bytes[8] === 0x7b;
}

/** Loads a `.pth` (PyTorch zip state_dict) or `.safetensors` file into a new model of the given or inferred variant. */
export async function loadModel(
  bytes: Uint8Array,
  fileName: string,
  variant: VariantName | "auto" = "auto",
): Promise<LoadedModel> {
  let sd: StateDict;
  let metadata: Record<string, string> = {};
  if (isSafetensors(bytes)) {
    const st = loadSafetensors(bytes, fileName);
    sd = st.tensors;
    metadata = st.metadata;
  } else {
    sd = await loadPth(bytes, fileName);
  }
  const keys = [...stripPrefix(sd).keys()];
  const fromMeta = metadata.variant as VariantName | undefined;
  const chosen: VariantName = variant !== "auto" ? variant : fromMeta && Object.hasOwn(VARIANTS, fromMeta) ? fromMeta : inferVariant(keys, fileName);
  if (!Object.hasOwn(VARIANTS, chosen)) throw new CheckpointError(fileName, `unknown variant "${chosen}"`);
  const model = createVariant(chosen);
  try {
    applyStateDict(model, sd, fileName);
  } catch (e) {
    model.release();
    throw e;
  }
  return { model, variant: chosen, metadata };
}

/** Our checkpoint: safetensors holding each tensor once (first name of a shared module) plus metadata. */
export async function saveModel(model: UNet, variant: VariantName, metadata: Record<string, string>): Promise<Uint8Array> {
  // Each tensor once (first name of a shared module), all read-backs in flight together.
  const seen = new Set<object>();
  const unique = [...model.stateDict()].filter(([, t]) => !seen.has(t) && seen.add(t));
  const data = await Promise.all(unique.map(([, t]) => t.read()));
  const tensors = new Map(unique.map(([name, t], i) => [name, { shape: [...t.shape], data: data[i] }]));
  return saveSafetensors(tensors, { ...metadata, variant, format: "crgpu-unet-1" });
}
