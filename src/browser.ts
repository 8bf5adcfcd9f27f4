// Entry point of the browser bundle (dist/crgpu.js, built by build.ts): embeds every shaders/*.wgsl as text and
// registers it, so the runtime never reads the disk, then re-exports the library. build.ts fails if a WGSL file
// under shaders/ is missing from this list. Text imports also work in Deno, so this file type-checks with src/.
import { registerShaders } from "./kernels/shaders.ts";
import adam from "../shaders/adam.wgsl" with { type: "text" };
import batch_norm2d from "../shaders/batch_norm2d.wgsl" with { type: "text" };
import bce_loss from "../shaders/bce_loss.wgsl" with { type: "text" };
import conv2d from "../shaders/conv2d.wgsl" with { type: "text" };
import conv2d_backward_weight from "../shaders/conv2d_backward_weight.wgsl" with { type: "text" };
import conv2d_layout from "../shaders/conv2d_layout.wgsl" with { type: "text" };
import conv2d_reduce from "../shaders/conv2d_reduce.wgsl" with { type: "text" };
import conv_transpose2d from "../shaders/conv_transpose2d.wgsl" with { type: "text" };
import elementwise from "../shaders/elementwise.wgsl" with { type: "text" };
import gate from "../shaders/gate.wgsl" with { type: "text" };
import group_norm from "../shaders/group_norm.wgsl" with { type: "text" };
import max_pool2d from "../shaders/max_pool2d.wgsl" with { type: "text" };
import norm_reduce from "../shaders/norm_reduce.wgsl" with { type: "text" };
import reduce from "../shaders/reduce.wgsl" with { type: "text" };

registerShaders({
  adam,
  batch_norm2d,
  bce_loss,
  conv2d,
  conv2d_backward_weight,
  conv2d_layout,
  conv2d_reduce,
  conv_transpose2d,
  elementwise,
  gate,
  group_norm,
  max_pool2d,
  norm_reduce,
  reduce,
});

export * from "./index.ts";
