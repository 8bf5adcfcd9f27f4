// Checkpoint IO: PyTorch zip-format state_dicts (read) and safetensors (read/write), pure TypeScript.
export { loadPth } from "./pth.ts";
export { loadSafetensors, type SafetensorsInput, type SaveOptions, saveSafetensors } from "./safetensors.ts";
export { CheckpointError, type DType, type StateDict, type TensorArray, type TensorData } from "./types.ts";
export { readZip, writeZip, type ZipArchive, type ZipEntry } from "./zip.ts";
export { floatToHalf, halfToFloat } from "./float16.ts";
