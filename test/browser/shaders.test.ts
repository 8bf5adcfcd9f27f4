// Every compute entry point of every WGSL file builds a pipeline (with its default override constants), including
// entry points the op tests reach only on large shapes. Run in Deno (naga) and in Chromium (Tint), which accept
// different WGSL.
import { beforeAll, describe, expect, it } from "vitest";
import { shaderNames, shaderSource } from "../../src/kernels/shaders.ts";
import type { Runtime } from "../../src/kernels/runtime.ts";
import { gpu } from "../helpers.ts";

let rt: Runtime;
beforeAll(async () => {
  rt = await gpu();
});

function entryPoints(code: string): string[] {
  return [...code.matchAll(/@compute\b[^]*?\bfn\s+(\w+)/g)].map((m) => m[1]);
}

async function buildAll(name: string): Promise<string[]> {
  const device = rt.device;
  const failures: string[] = [];
  const code = shaderSource(name);
  device.pushErrorScope("validation");
  const module = device.createShaderModule({ code, label: name });
  const info = await module.getCompilationInfo();
  const moduleError = await device.popErrorScope();
  const errors = info.messages.filter((m) => m.type === "error").map((m) => `${m.lineNum}:${m.linePos} ${m.message}`);
  if (errors.length || moduleError) return [`${name}.wgsl: ${errors.join("; ") || moduleError?.message}`];
  for (const entry of entryPoints(code)) {
    device.pushErrorScope("validation");
    device.createComputePipeline({ layout: "auto", compute: { module, entryPoint: entry } });
    const err = await device.popErrorScope();
    if (err) failures.push(`${name}.wgsl:${entry}: ${err.message}`);
  }
  return failures;
}

describe("WGSL", () => {
  it("every compute entry point of every shader builds a pipeline", async () => {
    const names = shaderNames().filter((n) => !n.endsWith("_for_test"));
    expect(names.length).toBeGreaterThan(10);
    const failures: string[] = [];
    let entries = 0;
    for (const name of names) {
      entries += entryPoints(shaderSource(name)).length;
      failures.push(...await buildAll(name));
    }
    expect(entries).toBeGreaterThan(names.length);
    expect(failures.join("\n")).toBe("");
  });
});
