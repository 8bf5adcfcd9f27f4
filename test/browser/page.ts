// Runs the tests one bundle registered (through the vitest shim) and hands each result to the functions the
// runner exposes on the page with Playwright.
import { runAll, type TestResult } from "./vitest_shim.ts";

interface Hooks {
  crgpuReport?: (r: TestResult) => Promise<void>;
  crgpuDone?: () => Promise<void>;
}

/** `only`: a regular expression; tests whose full name does not match are reported as skipped. */
export async function start(only?: string): Promise<void> {
  const hooks = globalThis as Hooks;
  const sent: Promise<void>[] = [];
  await runAll((r) => {
    sent.push(hooks.crgpuReport?.(r) ?? Promise.resolve());
  }, only === undefined ? undefined : new RegExp(only));
  await Promise.all(sent);
  await hooks.crgpuDone?.();
}
