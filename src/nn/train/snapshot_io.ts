// A training snapshot as one safetensors file: model tensors under "model/", Adam moments under "adam/m/<i>" and
// "adam/v/<i>", and the config, counters and schedule as JSON in the metadata. Float32 throughout, so a resumed
// run continues bit for bit.
import { loadSafetensors, saveSafetensors, type SafetensorsInput } from "../checkpoint/safetensors.ts";
import type { TrainConfig } from "./config.ts";
import type { Snapshot, TrainState } from "./trainer.ts";

export const SNAPSHOT_FORMAT = "crgpu-train-snapshot-1";

export function encodeSnapshot(s: Snapshot): Uint8Array {
  const tensors = new Map<string, SafetensorsInput>();
  for (const [name, t] of s.model) tensors.set(`model/${name}`, t);
  s.adam.m.forEach((m, i) => tensors.set(`adam/m/${i}`, { shape: [m.length], data: m }));
  s.adam.v.forEach((v, i) => tensors.set(`adam/v/${i}`, { shape: [v.length], data: v }));
  return saveSafetensors(tensors, {
    format: SNAPSHOT_FORMAT,
    config: JSON.stringify(s.config),
    state: JSON.stringify(s.state),
    adam_steps: JSON.stringify(s.adam.steps),
  });
}

export function decodeSnapshot(bytes: Uint8Array, fileName: string): Snapshot {
  const { tensors, metadata } = loadSafetensors(bytes, fileName);
  if (metadata.format !== SNAPSHOT_FORMAT) {
    throw new RangeError(`${fileName}: not a crgpu training snapshot (format "${metadata.format ?? "none"}")`);
  }
  const f32 = (name: string): Float32Array => {
    const t = tensors.get(name);
    if (!t || !(t.data instanceof Float32Array)) throw new RangeError(`${fileName}: tensor ${name} missing or not float32`);
    return t.data;
  };
  const model = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, t] of tensors) {
    if (name.startsWith("model/")) model.set(name.slice(6), { shape: [...t.shape], data: f32(name) });
  }
  const steps = JSON.parse(metadata.adam_steps) as number[];
  return {
    config: JSON.parse(metadata.config) as TrainConfig,
    state: JSON.parse(metadata.state) as TrainState,
    model,
    adam: { steps, m: steps.map((_, i) => f32(`adam/m/${i}`)), v: steps.map((_, i) => f32(`adam/v/${i}`)) },
  };
}
