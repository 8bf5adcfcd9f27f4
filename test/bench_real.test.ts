// The real-frame benchmark: frame reading (data section, detector values), the injected test cases, and the
// metrics of benchReal on scorers whose results are known by construction (a perfect one, an inverted one), plus
// the run-settings policy and the CLI's bad-input lines. Real frames of ../shared are used only for the CLI run.
import { describe, expect, it } from "vitest";
import { writeFits } from "../src/data/fits.ts";
import { type FitsCard } from "../src/data/fits.ts";
import {
  benchReal,
  type FrameModel,
  REAL_EDGE,
  REAL_MAX_CASES,
  REAL_MIN_POSITIVES,
  type RealFrame,
  realCases,
  realDark,
} from "../src/eval/real.ts";
import { parseSection, readRealFrame } from "../src/eval/real_frames.ts";
import { realMarkdown, realRocSvgs } from "../src/eval/real_report.ts";
import { runSettings } from "../src/app/settings.ts";
import { PUBLISHED, sha256Hex } from "../src/app/zoo.ts";
import { simulateScience } from "../src/data/synth/science.ts";
import { main as realMain } from "../bench/real.ts";
import { parseDetectArgs } from "../src/cli/detect.ts";
import { checkConfig, DEFAULTS } from "../src/nn/train/config.ts";

const card = (key: string, value: string | number): FitsCard => ({ key, value, comment: "" });

describe("real frames", () => {
  it("parses FITS sections (1-based, inclusive) and refuses malformed or out-of-range ones", () => {
    expect(parseSection("[17:528,1:520]", 536, 520)).toEqual({ x0: 16, x1: 528, y0: 0, y1: 520 });
    expect(parseSection("[  17: 528,   1: 520]", 536, 520)).toEqual({ x0: 16, x1: 528, y0: 0, y1: 520 });
    expect(parseSection("[1:600,1:520]", 536, 520)).toBeNull();
    expect(parseSection("[5:4,1:2]", 536, 520)).toBeNull();
    expect(parseSection("garbage", 536, 520)).toBeNull();
    expect(parseSection(undefined, 536, 520)).toBeNull();
  });

  it("crops to TRIMSEC, reads GAIN/RDNOISE and takes the integer ceiling as saturation", async () => {
    const w = 40, h = 30, data = new Uint16Array(w * h);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data[y * w + x] = x < 4 ? 7 : 1000 + x + 100 * y;
    const bytes = writeFits([{
      data,
      width: w,
      height: h,
      header: [card("TRIMSEC", "[5:40,1:30]"), card("GAIN", 1.9), card("RDNOISE", 5)],
    }]);
    const f = await readRealFrame(bytes, "dir/raw.fits");
    expect(f.name).toBe("raw");
    expect([f.width, f.height]).toEqual([36, 30]);
    expect(f.data[0]).toBe(1000 + 4); // first kept column is x = 4 (FITS 5)
    expect(f.data[36 * 2 + 1]).toBe(1000 + 5 + 200);
    expect([f.gain, f.readnoise, f.saturation]).toEqual([1.9, 5, 65535]);
    expect(f.notes.join(" ")).toMatch(/cropped to TRIMSEC/);
    // Without cards: Astro-SCRAPPY's defaults, said so; a float image has no saturation.
    const g = await readRealFrame(writeFits([{ data: new Float32Array(w * h).fill(3), width: w, height: h }]), "f.fits");
    expect([g.gain, g.readnoise, g.saturation]).toEqual([1, 6.5, Infinity]);
    expect(g.notes.join(" ")).toMatch(/no GAIN card: gain 1 assumed/);
    // Explicit values win.
    const e = await readRealFrame(bytes, "raw.fits", { gain: 2.5, readnoise: 3, saturation: 5000 });
    expect([e.gain, e.readnoise, e.saturation]).toEqual([2.5, 3, 5000]);
  });
});

/** A small simulated "real" frame: a clean sky with stars, in ADU. */
function fakeFrame(): RealFrame {
  const f = simulateScience({ width: 192, height: 160, band: "r", seed: 5, starDensity: 20, galaxyDensity: 0 });
  return { name: "fake", data: f.image, width: 192, height: 160, gain: 4, readnoise: 7, saturation: Infinity, notes: [] };
}

describe("benchReal", () => {
  const frame = fakeFrame();
  const cases = realCases(frame, [{ seed: 3, ccd: "decam", exposure: 1200 }, { seed: 4, ccd: "decam", exposure: 600 }]);

  it("injects CRs only under the dark's mask and counts the positives", () => {
    expect(cases.cases.length).toBe(2);
    for (const c of cases.cases) {
      let positives = 0;
      for (let i = 0; i < c.mask.length; i++) if (c.mask[i] && !c.ignore[i]) positives++;
      expect(c.positives).toBe(positives);
      expect(c.positives).toBeGreaterThan(0);
    }
    // A REAL_EDGE border is never scored.
    const c0 = cases.cases[0];
    expect(c0.ignore[0]).toBe(1);
    expect(c0.ignore[(REAL_EDGE - 1) * c0.width + 50]).toBe(1);
    expect(c0.ignore[REAL_EDGE * c0.width + REAL_EDGE]).toBe(0);
    expect(c0.ignore[c0.width * c0.height - 1]).toBe(1);
    // Both cases share U: off the masks their pixels are equal.
    const [a, b] = cases.cases;
    for (let i = 0; i < a.image.length; i++) if (!a.mask[i] && !b.mask[i]) expect(a.image[i]).toBe(b.image[i]);
  });

  it("the dark sequence: REAL_DARKS in turn, seeds + 100 a round, until enough CR pixels or the case cap", () => {
    expect(realDark(0)).toEqual({ seed: 9101, ccd: "decam", exposure: 1200 });
    expect(realDark(5)).toEqual({ seed: 9201, ccd: "decam", exposure: 1200 });
    expect(realDark(8)).toEqual({ seed: 9204, ccd: "lco-thin", exposure: 1200 });
    const auto = realCases(frame);
    const positives = auto.cases.reduce((a, c) => a + c.positives, 0);
    expect(auto.cases.length).toBeGreaterThanOrEqual(5);
    expect(auto.cases.map((c) => c.dark)).toEqual(auto.cases.map((_, k) => realDark(k)));
    // Stopped at the first case that reached the minimum (after a full round), or at the cap.
    const before = positives - auto.cases.at(-1)!.positives;
    if (auto.cases.length < REAL_MAX_CASES) {
      expect(positives).toBeGreaterThanOrEqual(REAL_MIN_POSITIVES);
      expect(auto.cases.length === 5 || before < REAL_MIN_POSITIVES).toBe(true);
    }
  });

  const perfect: FrameModel = {
    name: "perfect",
    dilate: false,
    threshold: 0.5,
    details: {},
    scores: (_image, w, h) => {
      const c = cases.cases.find((k) => k.width === w && k.height === h && k.image === _image)!;
      return Promise.resolve(Float32Array.from(c.mask));
    },
  };
  const inverted: FrameModel = { ...perfect, name: "inverted", scores: async (i, w, h) => (await perfect.scores(i, w, h)).map((v) => 1 - v) };

  it("scores a perfect and an inverted scorer as their construction says, and LACosmic's three rows", async () => {
    const r = await benchReal([cases], [perfect, inverted], { sweep: 3 });
    expect(r.rows.map((x) => x.name)).toEqual(["perfect", "inverted", "LACosmic default", "LACosmic paper", "LACosmic tuned"]);
    const all = (name: string) => r.rows.find((x) => x.name === name)!.subsets.all;
    expect(all("perfect").tprAtFpr).toEqual([1, 1, 1]);
    expect(all("perfect").precisionAtTpr95).toBe(1);
    expect(all("perfect").atThreshold!.f1).toBe(1);
    // Inverted: every negative scores above every positive, so nothing is found before FPR reaches 1.
    expect(all("inverted").tprAtFpr).toEqual([0, 0, 0]);
    const positives = cases.cases.reduce((a, c) => a + c.positives, 0);
    expect(r.subsets[0]).toMatchObject({ name: "all", cases: 2, positives });
    expect(r.subsets[1].name).toBe("frame=fake");
    // LACosmic's fixed rows are one run each: their TPR at their own FPR is their TPR; the perfect scorer is 1 there.
    for (const name of ["LACosmic default", "LACosmic paper"]) {
      const m = all(name);
      expect(m.sweep!.length).toBe(1);
      expect(m.tprAtLacosmic[name]).toBe(m.sweep![0].tpr);
      expect(all("perfect").tprAtLacosmic[name]).toBe(1);
    }
    // Tuned: 3 sigclips × 2 settings, and its TPR at 1% FPR is the best run at or under 1%.
    const tuned = all("LACosmic tuned");
    expect(tuned.sweep!.length).toBe(6);
    const best = Math.max(0, ...tuned.sweep!.filter((p) => (p.fpr ?? 0) <= 0.01).map((p) => p.tpr ?? 0));
    expect(tuned.tprAtFpr[2]).toBe(best);
    const md = realMarkdown(r);
    expect(md).toMatch(/\| perfect \| 100\.00 \| 100\.00 \| 100\.00 \| 100\.00 \|/);
    expect(md).toMatch(/LACosmic tuned †/);
    const svgs = realRocSvgs(r);
    expect([...svgs.keys()]).toEqual(["all", "fake"]);
    for (const svg of svgs.values()) expect(svg).toMatch(/^<svg[\s\S]*<\/svg>\n$/);
  });
});

describe("run settings", () => {
  const base = { fileName: "m", variant: "att-cosmic-conn" as const, metadata: {}, pth: false };
  it("takes a flag over the card over the published registry over the variant default", () => {
    expect(runSettings(base)).toMatchObject({ normalize: "none", threshold: 0.5, dilatedMasks: false });
    const meta = { normalize: "sigma", threshold: "0.3", dilated_masks: "true" };
    expect(runSettings({ ...base, metadata: meta })).toMatchObject({ normalize: "sigma", threshold: 0.3, dilatedMasks: true });
    expect(runSettings({ ...base, metadata: meta }, { normalize: "median", threshold: 0.7 }))
      .toMatchObject({ normalize: "median", threshold: 0.7 });
    const hst = PUBLISHED.find((p) => p.name === "cosmic-conn:hst-acs-wfc")!;
    // Cosmic-CoNN's HST model loads as a BatchNorm UNet like the paper's deepcr, but runs median-subtracted on
    // undilated masks: the registry, found by sha256, says so.
    expect(runSettings({ ...base, variant: "deepcr", pth: true, sha256: hst.sha256 }))
      .toMatchObject({ normalize: "median", dilatedMasks: false });
    expect(runSettings({ ...base, variant: "deepcr", pth: true })).toMatchObject({ normalize: "none", dilatedMasks: true });
    expect(runSettings({ ...base, variant: "cosmic-conn-lco", pth: true }))
      .toMatchObject({ normalize: "median", dilatedMasks: false });
  });
  it("refuses a bad card value and ignores prototype keys", () => {
    expect(() => runSettings({ ...base, metadata: { threshold: "2" } })).toThrow(/metadata 'threshold'/);
    expect(() => runSettings({ ...base, metadata: { normalize: "constructor" } })).toThrow(/metadata 'normalize'/);
    expect(runSettings({ ...base, metadata: Object.create({ threshold: "0.1" }) }).threshold).toBe(0.5);
  });
  it("prototype keys are not variant names", () => {
    for (const v of ["constructor", "__proto__", "toString"]) {
      expect(() => parseDetectArgs(["in.fits", "--variant", v])).toThrow(/unknown variant/);
      expect(() => checkConfig({ ...DEFAULTS, variant: v as "deepcr" })).toThrow(/unknown variant/);
    }
  });

  it("hashes like sha256sum", async () => {
    expect(await sha256Hex(new TextEncoder().encode("abc")))
      .toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });
});

describe("bench:real command line", () => {
  it("names the bad input on one line, exit 2", async () => {
    const errors: string[] = [];
    const orig = console.error;
    console.error = (m: string) => errors.push(m);
    try {
      expect(await realMain(["--frames", "/nonexistent.fits", "--no-default", "--published", "none", "--quiet"])).toBe(2);
      expect(errors.join("\n")).toMatch(/cannot read frame '\/nonexistent.fits': no such file/);
      errors.length = 0;
      expect(await realMain(["--sweep", "x"])).toBe(2);
      expect(errors[0]).toMatch(/--sweep needs an integer/);
      errors.length = 0;
      const notFits = await Deno.makeTempFile({ suffix: ".fits" });
      await Deno.writeTextFile(notFits, "hello");
      expect(await realMain(["--frames", notFits, "--no-default", "--published", "none", "--quiet"])).toBe(2);
      expect(errors.join("\n")).toMatch(/not a FITS file/);
    } finally {
      console.error = orig;
    }
  });
});
