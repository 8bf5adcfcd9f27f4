import { defineConfig } from "vitest/config";

// Tests run under Deno (`deno run -A npm:vitest run`) so that navigator.gpu is real WebGPU (llvmpipe here).
// One worker: the GPU is one device, and 2 CPU cores are all there is.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 600_000,
    hookTimeout: 120_000,
    pool: "forks",
    poolOptions: { forks: { singleFork: true } },
    fileParallelism: false,
  },
});
