// Every kernel module's dispatch functions, for `import { kernels } from "crgpu"`.
export * from "./elementwise.ts";
export * from "./conv2d.ts";
export * from "./conv_transpose2d.ts";
export * from "./max_pool2d.ts";
export * from "./batch_norm2d.ts";
export * from "./group_norm.ts";
export * from "./gate.ts";
export * from "./concat.ts";
export * from "./reduce.ts";
export * from "./bce_loss.ts";
export * from "./adam.ts";
export * from "./ranges.ts";
export { Params } from "./params.ts";
