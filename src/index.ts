// crgpu's public entry point: the WebGPU runtime and kernels, tensors and autograd, ops, modules and models,
// checkpoint IO, FITS IO and LACosmic. Import this file from Deno by path (the browser bundle is built from it).

// Runtime and raw kernels (GPUBuffer in, GPUBuffer out): for engineers using the kernels without autograd.
export { getRuntime, GpuError, Runtime } from "./kernels/runtime.ts";
export { registerShaders, shaderNames } from "./kernels/shaders.ts";
export * as kernels from "./kernels/all.ts";

// Tensors, autograd, ops, optimizer.
export { init, rt, shapeSize, Tensor, tidy } from "./nn/tensor.ts";
export { backward, isGradEnabled, noGrad, zeroGrad } from "./nn/autograd.ts";
export { add, mul, relu, reshape, scale, sigmoid } from "./nn/ops/elementwise.ts";
export { conv2d } from "./nn/ops/conv2d.ts";
export { convTranspose2d } from "./nn/ops/conv_transpose2d.ts";
export { maxPool2d } from "./nn/ops/max_pool2d.ts";
export { batchNorm2d } from "./nn/ops/batch_norm2d.ts";
export { groupNorm } from "./nn/ops/group_norm.ts";
export { gate } from "./nn/ops/gate.ts";
export { concat } from "./nn/ops/concat.ts";
export { mean, sum } from "./nn/ops/reduce.ts";
export { bceLoss } from "./nn/ops/bce_loss.ts";
export { Adam } from "./nn/optim.ts";

// Modules and models.
export { Module } from "./nn/module.ts";
export { Rng } from "./nn/init.ts";
export { Conv2d, ConvTranspose2d } from "./nn/modules/conv.ts";
export { BatchNorm2d, GroupNorm } from "./nn/modules/norm.ts";
export { AttentionGate, DoubleConv } from "./nn/modules/blocks.ts";
export { createVariant, UNet, type UNetConfig, VARIANTS, type VariantName } from "./nn/modules/unet.ts";
export { countParameters, formatSummary } from "./nn/summary.ts";

// Checkpoints.
export { applyStateDict, inferVariant, loadModel, saveModel } from "./nn/checkpoint/model.ts";
export { CheckpointError, loadPth, loadSafetensors, saveSafetensors } from "./nn/checkpoint/index.ts";

// Data.
export * from "./data/fits.ts";
export * from "./data/lacosmic.ts";
// Detection, and how a checkpoint is run (its normalisation, threshold and dilation from its card).
export {
  crMask,
  detect,
  DetectError,
  type DetectOptions,
  type DetectResult,
  detectProbabilities,
  type Normalize,
  NORMALIZE_HELP,
  parseNormalize,
} from "./nn/detect.ts";
export { type OpenedModel, openModel } from "./app/models.ts";
export { type RunSettings, runSettings, SettingsError } from "./app/settings.ts";
export { PUBLISHED, type PublishedModel, sha256Hex } from "./app/zoo.ts";
