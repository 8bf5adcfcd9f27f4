// deno task summary --variant <name>: layer table and parameter counts.
import { parseArgs } from "./args.ts";
import { createVariant, VARIANTS, type VariantName } from "../nn/modules/unet.ts";
import { formatSummary } from "../nn/summary.ts";
import { init } from "../nn/tensor.ts";

const args = parseArgs(Deno.args, { variant: "att-cosmic-conn" });
const variant = String(args.variant);
if (!Object.hasOwn(VARIANTS, variant)) {
  console.error(`unknown variant "${variant}" (known: ${Object.keys(VARIANTS).join(", ")})`);
  Deno.exit(2);
}
await init();
const model = createVariant(variant as VariantName);
console.log(formatSummary(model, `${variant}: UNet-${VARIANTS[variant as VariantName].depth}-${VARIANTS[variant as VariantName].width}`));
model.release();
