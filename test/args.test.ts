// The command-line helpers every tool shares: flag parsing, numeric flags, sizes, and the LACosmic sigclip sweep.
import { describe, expect, it } from "vitest";
import { numberFlag, outputBiasFlag, parseArgs, sizeFlag, UsageError } from "../src/cli/args.ts";
import { LACOSMIC_SWEEP, sigclipSweep } from "../src/eval/methods.ts";

describe("outputBiasFlag", () => {
  it("takes default, prior or a logit, and names the choices otherwise", () => {
    expect(outputBiasFlag("default")).toBe("default");
    expect(outputBiasFlag("prior")).toBe("prior");
    expect(outputBiasFlag("-5.5")).toBe(-5.5);
    for (const bad of ["", "x", "Infinity", "priors"]) {
      expect(() => outputBiasFlag(bad)).toThrow(UsageError);
      expect(() => outputBiasFlag(bad)).toThrow(/default, prior or a number/);
    }
  });
});

describe("parseArgs", () => {
  const defaults = { out: "runs", epochs: "10", flips: true, quiet: false };

  it("takes values, flags and --no-flags over the defaults", () => {
    expect(parseArgs(["--epochs", "3", "--no-flips", "--quiet"], defaults))
      .toEqual({ out: "runs", epochs: "3", flips: false, quiet: true });
  });

  it("reports unknown options, stray arguments and missing values as usage errors", () => {
    for (const [argv, message] of [
      [["--epoch", "3"], /unknown option --epoch/],
      [["runs"], /unexpected argument "runs"/],
      [["--out"], /--out needs a value/],
    ] as const) {
      expect(() => parseArgs([...argv], defaults)).toThrow(UsageError);
      expect(() => parseArgs([...argv], defaults)).toThrow(message);
    }
  });
});

describe("numberFlag", () => {
  it("accepts what the options allow", () => {
    expect(numberFlag("lr", "5e-3")).toBe(0.005);
    expect(numberFlag("seed", "0", { integer: true, min: 0 })).toBe(0);
    expect(numberFlag("batch", "16", { integer: true, positive: true })).toBe(16);
    expect(numberFlag("bias", "-12.5")).toBe(-12.5);
  });

  it("names the flag and the rule when it refuses", () => {
    for (const [text, opts, message] of [
      ["", {}, "--x needs a number (got '')"],
      ["  ", {}, "--x needs a number (got '  ')"],
      ["abc", {}, "--x needs a number (got 'abc')"],
      ["Infinity", {}, "--x needs a number (got 'Infinity')"],
      ["1.5", { integer: true }, "--x needs an integer (got '1.5')"],
      ["-1", { integer: true, min: 0 }, "--x needs an integer ≥ 0 (got '-1')"],
      ["0", { positive: true }, "--x needs a number > 0 (got '0')"],
    ] as const) {
      expect(() => numberFlag("x", text, opts)).toThrow(UsageError);
      expect(() => numberFlag("x", text, opts)).toThrow(message);
    }
  });
});

describe("sizeFlag", () => {
  it("reads WIDTHxHEIGHT and refuses anything else", () => {
    expect(sizeFlag("2048x4096")).toEqual([2048, 4096]);
    for (const bad of ["2048", "2048×4096", "x4096", "-5x5", "2048x4096x1"]) {
      expect(() => sizeFlag(bad)).toThrow(`--size must be WIDTHxHEIGHT (got '${bad}')`);
    }
  });
});

describe("sigclipSweep", () => {
  it("is log-spaced over [1, 20]: 20^(k/(n−1)) to 4 significant digits", () => {
    // Hand-worked: n = 3 → 1, √20 = 4.4721…, 20.
    expect(sigclipSweep(3)).toEqual([1, 4.472, 20]);
    expect(sigclipSweep(1)).toEqual([1]);
    expect(LACOSMIC_SWEEP).toHaveLength(20);
    expect(LACOSMIC_SWEEP[0]).toBe(1);
    expect(LACOSMIC_SWEEP[19]).toBe(20);
    // 20^(1/19) = e^(ln 20 / 19) = e^0.157669… = 1.17078…
    expect(LACOSMIC_SWEEP[1]).toBe(1.171);
  });
});
