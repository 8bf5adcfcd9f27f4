// The part of vitest's API our kernel tests use, for running them in a browser page: esbuild aliases "vitest" to
// this file. Tests register at import time; `runAll()` then runs them in order (file-level and describe-level
// beforeAll hooks first) and reports each result through `report`.

export interface TestResult {
  name: string;
  status: "pass" | "fail" | "skip";
  ms: number;
  error?: string;
}

type Fn = () => unknown;

interface Suite {
  name: string;
  skip: boolean;
  hooks: Fn[];
  afterHooks: Fn[];
  items: (Suite | Case)[];
}

interface Case {
  name: string;
  fn: Fn;
  skip: boolean;
}

const root: Suite = { name: "", skip: false, hooks: [], afterHooks: [], items: [] };
let current = root;

function register(name: string, fn: Fn | undefined, skip: boolean): void {
  current.items.push({ name, fn: fn ?? (() => {}), skip: skip || !fn });
}

function suite(name: string, body: Fn, skip: boolean): void {
  const s: Suite = { name, skip, hooks: [], afterHooks: [], items: [] };
  current.items.push(s);
  const parent = current;
  current = s;
  try {
    const r = body();
    if (r instanceof Promise) throw new Error(`describe("${name}") with an async body is not supported here`);
  } finally {
    current = parent;
  }
}

type ItFn = {
  (name: string, fn?: Fn, timeout?: number): void;
  skip: (name: string, fn?: Fn) => void;
  skipIf: (cond: unknown) => (name: string, fn?: Fn, timeout?: number) => void;
  runIf: (cond: unknown) => (name: string, fn?: Fn, timeout?: number) => void;
};

export const it: ItFn = Object.assign((name: string, fn?: Fn) => register(name, fn, false), {
  skip: (name: string, fn?: Fn) => register(name, fn, true),
  skipIf: (cond: unknown) => (name: string, fn?: Fn) => register(name, fn, Boolean(cond)),
  runIf: (cond: unknown) => (name: string, fn?: Fn) => register(name, fn, !cond),
});
export const test = it;

type DescribeFn = {
  (name: string, body: Fn): void;
  skip: (name: string, body: Fn) => void;
  skipIf: (cond: unknown) => (name: string, body: Fn) => void;
  runIf: (cond: unknown) => (name: string, body: Fn) => void;
};

export const describe: DescribeFn = Object.assign((name: string, body: Fn) => suite(name, body, false), {
  skip: (name: string, body: Fn) => suite(name, body, true),
  skipIf: (cond: unknown) => (name: string, body: Fn) => suite(name, body, Boolean(cond)),
  runIf: (cond: unknown) => (name: string, body: Fn) => suite(name, body, !cond),
});

export function beforeAll(fn: Fn): void {
  current.hooks.push(fn);
}

export function afterAll(fn: Fn): void {
  current.afterHooks.push(fn);
}

// ---- expect ----

class AssertionError extends Error {}

function show(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "number") return Object.is(v, -0) ? "-0" : String(v);
  if (v instanceof Error) return `${v.name}: ${v.message}`;
  if (ArrayBuffer.isView(v) || Array.isArray(v)) {
    const items = Array.from(v as ArrayLike<unknown>);
    return `[${items.slice(0, 20).map(show).join(", ")}${items.length > 20 ? ", …" : ""}]`;
  }
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

/** Recursive equality as vitest's toEqual: Object.is on primitives, same keys (undefined-valued keys ignored). */
function equal(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (ArrayBuffer.isView(a) || ArrayBuffer.isView(b)) {
    if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
    const x = Array.from(a as ArrayLike<unknown>);
    const y = Array.from(b as ArrayLike<unknown>);
    return x.length === y.length && x.every((v, i) => equal(v, y[i]));
  }
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const ka = Object.keys(ra).filter((k) => ra[k] !== undefined);
  const kb = Object.keys(rb).filter((k) => rb[k] !== undefined);
  return ka.length === kb.length && ka.every((k) => Object.hasOwn(rb, k) && equal(ra[k], rb[k]));
}

type ErrorMatch = string | RegExp | (new (...args: never[]) => Error) | undefined;

function matchesError(err: unknown, want: ErrorMatch): boolean {
  if (want === undefined) return true;
  const msg = err instanceof Error ? err.message : String(err);
  if (typeof want === "string") return msg.includes(want);
  if (want instanceof RegExp) return want.test(msg);
  return err instanceof want;
}

export interface Matchers {
  toBe(expected: unknown): void;
  toEqual(expected: unknown): void;
  toStrictEqual(expected: unknown): void;
  toBeCloseTo(expected: number, digits?: number): void;
  toBeLessThan(n: number): void;
  toBeLessThanOrEqual(n: number): void;
  toBeGreaterThan(n: number): void;
  toBeGreaterThanOrEqual(n: number): void;
  toBeNull(): void;
  toBeUndefined(): void;
  toBeDefined(): void;
  toBeTruthy(): void;
  toBeFalsy(): void;
  toBeNaN(): void;
  toThrow(want?: ErrorMatch): void;
}

function matchers(actual: unknown, negate: boolean, label: string | undefined): Matchers {
  const check = (ok: boolean, what: string) => {
    if (ok === negate) {
      throw new AssertionError(`${label ? `${label}: ` : ""}expected ${show(actual)} ${negate ? "not " : ""}${what}`);
    }
  };
  const num = () => actual as number;
  return {
    toBe: (e) => check(Object.is(actual, e), `to be ${show(e)}`),
    toEqual: (e) => check(equal(actual, e), `to equal ${show(e)}`),
    toStrictEqual: (e) => check(equal(actual, e), `to strictly equal ${show(e)}`),
    toBeCloseTo: (e, digits = 2) => check(Math.abs(num() - e) < 10 ** -digits / 2, `to be close to ${e} (${digits} digits)`),
    toBeLessThan: (n) => check(num() < n, `to be < ${n}`),
    toBeLessThanOrEqual: (n) => check(num() <= n, `to be ≤ ${n}`),
    toBeGreaterThan: (n) => check(num() > n, `to be > ${n}`),
    toBeGreaterThanOrEqual: (n) => check(num() >= n, `to be ≥ ${n}`),
    toBeNull: () => check(actual === null, "to be null"),
    toBeUndefined: () => check(actual === undefined, "to be undefined"),
    toBeDefined: () => check(actual !== undefined, "to be defined"),
    toBeTruthy: () => check(Boolean(actual), "to be truthy"),
    toBeFalsy: () => check(!actual, "to be falsy"),
    toBeNaN: () => check(Number.isNaN(actual), "to be NaN"),
    toThrow: (want) => {
      if (typeof actual !== "function") throw new AssertionError("toThrow needs a function");
      let thrown = false;
      let err: unknown;
      try {
        (actual as () => unknown)();
      } catch (e) {
        thrown = true;
        err = e;
      }
      const ok = thrown && matchesError(err, want);
      if (ok === negate) {
        const got = thrown ? `threw ${show(err)}` : "did not throw";
        throw new AssertionError(`expected function ${negate ? "not " : ""}to throw ${show(want ?? "")}; it ${got}`);
      }
    },
  };
}

interface RejectMatchers {
  toThrow(want?: ErrorMatch): Promise<void>;
}

export interface Assertion extends Matchers {
  not: Matchers;
  rejects: RejectMatchers;
}

type Expect = {
  (actual: unknown, label?: string): Assertion;
  fail(message?: string): never;
};

export const expect: Expect = Object.assign(
  (actual: unknown, label?: string): Assertion => ({
    ...matchers(actual, false, label),
    not: matchers(actual, true, label),
    rejects: {
      toThrow: async (want?: ErrorMatch) => {
        try {
          await actual;
        } catch (e) {
          if (!matchesError(e, want)) throw new AssertionError(`rejected with ${show(e)}, expected ${show(want)}`);
          return;
        }
        throw new AssertionError("expected the promise to reject; it resolved");
      },
    },
  }),
  {
    fail: (message = "expect.fail"): never => {
      throw new AssertionError(message);
    },
  },
);

// ---- running ----

function describeError(e: unknown): string {
  if (e instanceof Error) return `${e.name === "Error" || e instanceof AssertionError ? "" : `${e.name}: `}${e.message}`;
  return String(e);
}

/**
 * Runs every registered test in order; a failing beforeAll fails every test of its suite. With `only`, tests whose
 * full name ("suite > test") does not match are reported as skipped (and hooks of suites with none left do not run).
 */
export async function runAll(report: (r: TestResult) => void, only?: RegExp): Promise<void> {
  filter = only ?? null;
  await runSuite(root, [], false, report);
}

let filter: RegExp | null = null;

function selected(item: Suite | Case, path: string[]): boolean {
  if (!filter) return true;
  if ("items" in item) return item.items.some((i) => selected(i, [...path, item.name]));
  return filter.test([...path, item.name].filter((n) => n).join(" > "));
}

async function runSuite(s: Suite, path: string[], skipped: boolean, report: (r: TestResult) => void): Promise<void> {
  const skip = skipped || s.skip || !selected(s, path);
  const names = s.name ? [...path, s.name] : path;
  let hookError: string | undefined;
  if (!skip) {
    for (const h of s.hooks) {
      try {
        await h();
      } catch (e) {
        hookError = `beforeAll failed: ${describeError(e)}`;
        break;
      }
    }
  }
  for (const item of s.items) {
    if ("items" in item) {
      if (hookError) await failAll(item, names, hookError, report);
      else await runSuite(item, names, skip, report);
      continue;
    }
    const name = [...names, item.name].join(" > ");
    if (skip || item.skip || !selected(item, names)) {
      report({ name, status: "skip", ms: 0 });
    } else if (hookError) {
      report({ name, status: "fail", ms: 0, error: hookError });
    } else {
      const t0 = performance.now();
      try {
        await item.fn();
        report({ name, status: "pass", ms: performance.now() - t0 });
      } catch (e) {
        report({ name, status: "fail", ms: performance.now() - t0, error: describeError(e) });
      }
    }
  }
  if (skip || hookError) return;
  for (const h of s.afterHooks) {
    try {
      await h();
    } catch (e) {
      report({ name: [...names, "afterAll"].join(" > "), status: "fail", ms: 0, error: describeError(e) });
    }
  }
}

async function failAll(s: Suite, path: string[], error: string, report: (r: TestResult) => void): Promise<void> {
  const names = [...path, s.name];
  for (const item of s.items) {
    if ("items" in item) await failAll(item, names, error, report);
    else report({ name: [...names, item.name].join(" > "), status: s.skip || item.skip ? "skip" : "fail", ms: 0, error });
  }
}
