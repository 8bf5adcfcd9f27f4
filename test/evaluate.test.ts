// evaluate(): a fake method with known scores on a two-chunk in-memory source (numbers worked out by hand),
// dilation, subsets, a UNet method against detectProbabilities, LACosmic's sweep on a small synthetic chunk with
// obvious CRs, and the report files (SVG well-formed, PNG signature, tables).
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import {
  type ChunkSource,
  type EvalChunk,
  EvalError,
  evaluate,
  lacosmicMethod,
  scoreMethod,
  type Split,
  unetMethod,
} from "../src/eval/evaluate.ts";
import { bestPrecisionAtTpr, bestTprAtFpr, dilate3x3 } from "../src/eval/metrics.ts";
import { formatTable, markdownTables, writeReport } from "../src/eval/report.ts";
import { maskPreview } from "../src/eval/png.ts";
import { main as evalMain, parseEvalArgs } from "../src/cli/eval.ts";
import { detectProbabilities } from "../src/nn/detect.ts";
import { createVariant } from "../src/nn/modules/unet.ts";
import { gpu, rand } from "./helpers.ts";

/** In-memory stand-in for Dataset: just the test split's chunks. */
function source(patch: number, chunks: EvalChunk[], manifestSource?: Record<string, unknown>): ChunkSource {
  return {
    patch,
    size: (split: Split) => (split === "test" ? chunks.length : 0),
    async *chunks(split: Split) {
      if (split === "test") yield* chunks;
    },
    manifest: { source: manifestSource },
  };
}

const at = (x: number, y: number, w = 4) => y * w + x;

// Two 4×4 chunks (pixel value 0 or 1 in the image tells the fake method which chunk it sees).
// A (band g): CR at (1,1); scores .9 at (1,1), .6 at (3,3) (a false positive), 0 elsewhere.
// B (band r): CR at (0,0) scored .4 (missed at 0.5); .7 at (3,0) — but (3,0) is under the ignore mask.
function twoChunks(): { ds: ChunkSource; scores: Float32Array[] } {
  const mk = (id: number, cr: number, band: string, ignoreAt?: number): EvalChunk => {
    const mask = new Uint8Array(16);
    mask[cr] = 1;
    const ignore = ignoreAt === undefined ? null : new Uint8Array(16);
    if (ignore) ignore[ignoreAt!] = 1;
    return { image: new Float32Array(16).fill(id), mask, ignore, info: { frame: `f${id}`, band, telescope: "decam" } };
  };
  const sa = new Float32Array(16), sb = new Float32Array(16);
  sa[at(1, 1)] = 0.9, sa[at(3, 3)] = 0.6;
  sb[at(0, 0)] = 0.4, sb[at(3, 0)] = 0.7;
  return { ds: source(4, [mk(0, at(1, 1), "g"), mk(1, at(0, 0), "r", at(3, 0))]), scores: [sa, sb] };
}

describe("evaluate with a fake method", () => {
  it("gives the hand-computed metrics overall and per band", async () => {
    const { ds, scores } = twoChunks();
    const fake = scoreMethod("fake", (imgs) => imgs.map((im) => scores[im[0]]), { batch: 2 });
    const seen: number[] = [];
    const r = await evaluate(ds, [fake], { onProgress: (p) => seen.push(p.done) });
    expect(seen).toEqual([1, 2]);
    // telescope=decam holds every chunk, like "all": skipped.
    expect(r.subsets.map((s) => s.name)).toEqual(["all", "band=g", "band=r"]);
    expect(r.subsets[0]).toEqual({ name: "all", chunks: 2, pixels: 31, positives: 2, ignored: 1 });
    const m = r.methods[0].subsets;
    // all: P 2, N 29. Curve: .9 P (1,0) · .6 N (1,1) · .4 P (2,1) · 0 (2,29).
    // TPR@1e-4: (2,1) has FPR 1/29 > 1e-4 → the .9 point, TPR 1/2. Same at 1e-3.
    // Precision@95%: the first point with TPR ≥ .95 is .4: 2/(2+1).
    // At 0.5: flagged .9 (TP), .6 (FP); .4 missed → TP 1, FP 1, FN 1, TN 28: F1 2/4, IoU 1/3, FDR 1/2.
    expect([m.all.tprAtFpr1e4, m.all.tprAtFpr1e3, m.all.precisionAtTpr95]).toEqual([0.5, 0.5, 2 / 3]);
    expect(m.all.atThreshold).toMatchObject({ tp: 1, fp: 1, fn: 1, tn: 28, f1: 0.5, iou: 1 / 3, fdr: 0.5 });
    // band=g: .9 P (1,0) first → TPR@FPR 1, precision@95% 1; at 0.5 TP 1, FP 1, TN 14: F1 2/3, IoU 1/2, FDR 1/2.
    expect([m["band=g"].tprAtFpr1e4, m["band=g"].precisionAtTpr95]).toEqual([1, 1]);
    expect(m["band=g"].atThreshold).toMatchObject({ tp: 1, fp: 1, fn: 0, tn: 14, f1: 2 / 3, iou: 0.5, fdr: 0.5 });
    // band=r: the ignored .7 does not count; .4 P ranks first → TPR@FPR 1; at 0.5 nothing flagged: FN 1, TN 14,
    // precision and FDR undefined, F1 = IoU = 0.
    expect(m["band=r"].tprAtFpr1e4).toBe(1);
    expect(m["band=r"].atThreshold).toMatchObject({ tp: 0, fp: 0, fn: 1, tn: 14, precision: null, fdr: null, f1: 0 });
    expect(JSON.parse(JSON.stringify(r))).toEqual(r); // JSON-serialisable as it is
  });

  it("dilates the scores of a method flagged dilate", async () => {
    const { ds, scores } = twoChunks();
    const fake = scoreMethod("fake", (imgs) => imgs.map((im) => scores[im[0]]), { dilate: true });
    const r = await evaluate(ds, [fake]);
    // Chunk A dilated: .9 covers x,y ∈ 0..2 (9 px), .6 covers x,y ∈ 2..3 minus (2,2) (3 px) → at 0.5: TP 1, FP 11.
    expect(r.methods[0].subsets["band=g"].atThreshold).toMatchObject({ tp: 1, fp: 11, fn: 0, tn: 4 });
    expect(r.methods[0].dilate).toBe(true);
  });

  it("refuses an empty split, duplicate names and chunks of the wrong size", async () => {
    const fake = scoreMethod("fake", (imgs) => imgs.map(() => new Float32Array(16)));
    await expect(evaluate(source(4, []), [fake])).rejects.toThrow(/test split has no chunks/);
    await expect(evaluate(twoChunks().ds, [fake, fake])).rejects.toThrow(/two methods are named "fake"/);
    const bad = source(4, [{
      image: new Float32Array(9),
      mask: new Uint8Array(16),
      ignore: null,
      info: { frame: "x" },
    }]);
    await expect(evaluate(bad, [fake])).rejects.toThrow(EvalError);
    await expect(evaluate(bad, [fake])).rejects.toThrow(/chunk 0 \(frame x\): image has 9 pixels/);
  });
});

describe("UNet method", () => {
  beforeAll(async () => {
    await gpu();
  });

  it("batched forward equals detectProbabilities chunk by chunk", async () => {
    const model = createVariant("cosmic-conn", 3);
    const side = 32;
    const imgs = [0, 1, 2].map((k) => Float32Array.from(rand(side * side, 10 + k, 0, 50)));
    imgs[1][5] = NaN; // NaN pixel: score 0
    const m = unetMethod(model, { name: "u", normalize: "median", batch: 3 });
    const got = await m.scores(imgs, side);
    for (let k = 0; k < 3; k++) {
      const want = await detectProbabilities(model, imgs[k], side, side, { normalize: "median" });
      // Same network, same input; GroupNorm statistics are per sample, so batching changes nothing but float
      // summation order in the GPU reductions: 1e-5.
      let worst = 0;
      for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[k][i] - want[i]));
      expect(worst, `chunk ${k}`).toBeLessThan(1e-5);
    }
    expect(got[1][5]).toBe(0);
    model.release();
  });
});

/** 48×48 sky (gain 4, read noise 7 e⁻: σ ≈ 3 ADU in ADU at sky 30) with three obvious hits. */
function crChunk(seed: number): EvalChunk {
  const side = 48, sky = 30, gain = 4, rn = 7;
  const sigma = Math.sqrt(sky * gain + rn * rn) / gain;
  const u = rand(2 * side * side, seed, 1e-7, 1);
  const image = new Float32Array(side * side);
  for (let i = 0; i < image.length; i++) {
    image[i] = sky + sigma * Math.sqrt(-2 * Math.log(u[2 * i])) * Math.cos(2 * Math.PI * u[2 * i + 1]);
  }
  const hits = [[10, 10], [30, 12], [31, 12], [32, 13], [20, 35]];
  const cr = new Uint8Array(side * side);
  for (const [x, y] of hits) (image[y * side + x] += 400), (cr[y * side + x] = 1);
  // Truth as in the dataset: the CR pixels dilated 3×3.
  return {
    image,
    mask: dilate3x3(cr, side, side),
    ignore: null,
    info: { frame: `cr${seed}`, band: "r", gain, readnoise: rn },
  };
}

describe("LACosmic sweep", () => {
  it("finds the obvious CRs, sweeps sigclip, and follows the stated rules", async () => {
    const ds = source(48, [crChunk(1), crChunk(2)]);
    const lac = lacosmicMethod({ sigclips: [2, 10], fixedSigclip: 4.5 });
    const r = await evaluate(ds, [lac]);
    const all = r.methods[0].subsets.all;
    const sweep = all.sweep!;
    expect(sweep.map((p) => p.sigclip)).toEqual([2, 4.5, 10]);
    expect(r.methods[0].details.detector).toMatch(/gain 4 \(chunk info\), readnoise 7 \(chunk info\)/);
    // Per chunk: two single hits dilated (9 + 9) and the 3-pixel track dilated: rows y = 11..14 hold
    // x 29–32, 29–33, 29–33, 31–33 → 4 + 5 + 5 + 3 = 17. Two chunks: 2 × 35.
    expect(r.subsets[0].positives).toBe(2 * 35);
    const fixed = sweep[1];
    expect(fixed.tpr).toBe(1); // every hit found (400 ADU on σ ≈ 3)
    expect(fixed.fpr!).toBeLessThan(0.01);
    // Lower sigclip flags at least as much.
    expect(sweep[0].tp + sweep[0].fp).toBeGreaterThanOrEqual(sweep[2].tp + sweep[2].fp);
    expect(all.atThreshold).toMatchObject({ tp: fixed.tp, fp: fixed.fp, fn: fixed.fn, tn: fixed.tn, threshold: null });
    // Rules re-applied by hand to the sweep points.
    const best = (target: number) =>
      Math.max(0, ...sweep.filter((p) => p.fp / (p.fp + p.tn) <= target).map((p) => p.tp / (p.tp + p.fn)));
    expect(all.tprAtFpr1e3).toBe(best(1e-3));
    expect(all.tprAtFpr1e4).toBe(best(1e-4));
    expect(all.tprAtFpr1e4).toBe(bestTprAtFpr(sweep, 1e-4));
    expect(all.precisionAtTpr95).toBe(bestPrecisionAtTpr(sweep, 0.95));
    expect(all.roc.x).toEqual([...all.roc.x].sort((a, b) => a - b));
  });

  it("falls back to DECam's nominal gain / read noise / full well for telescope decam", async () => {
    const c = crChunk(4);
    c.info = { frame: "d", telescope: "decam" };
    const r = await evaluate(source(48, [c]), [lacosmicMethod({ sigclips: [4.5] })]);
    // 150,000 e⁻ full well at 4 e⁻/ADU = 37,500 ADU → satlevel 150,000 e⁻.
    expect(r.methods[0].details.detector).toBe(
      "gain 4, readnoise 7, satlevel 150000 e- (DECam nominal, Flaugher et al. 2015)",
    );
    expect(r.notes).toEqual([]);
    c.info = { frame: "unknown" };
    const r2 = await evaluate(source(48, [c]), [lacosmicMethod({ sigclips: [4.5] })]);
    expect(r2.notes.join()).toMatch(/fell back to Astro-SCRAPPY's defaults/);
  });

  it("takes gain/readnoise from the manifest when the chunk info has none", async () => {
    const c = crChunk(3);
    c.info = { frame: "m" };
    const r = await evaluate(source(48, [c], { gain: 4, readnoise: 7 }), [lacosmicMethod({ sigclips: [4.5] })]);
    expect(r.methods[0].details.detector).toMatch(/gain 4 \(manifest\), readnoise 7 \(manifest\)/);
  });
});

/** Minimal XML well-formedness check: tags nest, attributes are quoted, entities are known. */
function checkXml(text: string): void {
  const stack: string[] = [];
  const body = text.replace(/<\?xml[^>]*\?>/, "");
  for (const m of body.matchAll(/<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|<|&/g)) {
    if (m[0] === "<") throw new Error(`stray '<' at ${m.index}`);
    if (m[0] === "&") {
      if (!/^&(amp|lt|gt|quot|apos|#\d+);/.test(body.slice(m.index!))) throw new Error(`bad entity at ${m.index}`);
      continue;
    }
    const [, close, name, , self] = m;
    if (close) {
      if (stack.pop() !== name) throw new Error(`</${name}> closes the wrong element at ${m.index}`);
    } else if (!self) stack.push(name);
  }
  if (stack.length) throw new Error(`unclosed: ${stack.join(", ")}`);
}

describe("report", () => {
  it("writes metrics.json, table.md, well-formed SVGs, cutouts and report.html", async () => {
    // A name that needs escaping; it flags the hit pixels themselves (not their dilated ring).
    const fake = scoreMethod("fake <model>", (imgs) => imgs.map((im) => im.map((v) => (v > 200 ? 0.99 : 0.01))));
    const lac = lacosmicMethod({ sigclips: [4.5, 10] });
    const r = await evaluate(source(48, [crChunk(5)]), [fake, lac], { cutouts: 2, cutoutSize: 16 });
    expect(r.cutouts.length).toBe(1);
    expect(Object.keys(r.cutouts[0].predictions)).toEqual(["fake <model>", "LACosmic"]);
    const dir = await Deno.makeTempDir({ prefix: "crgpu-eval-test-" });
    try {
      const files = await writeReport(r, dir);
      expect(files.map((f) => f.split("/").pop())).toEqual([
        "metrics.json",
        "table.md",
        "roc.svg",
        "pr.svg",
        "cutouts.png",
        "report.html",
      ]);
      for (const f of ["roc.svg", "pr.svg"]) {
        const svg = await Deno.readTextFile(`${dir}/${f}`);
        expect(svg.startsWith("<svg")).toBe(true);
        checkXml(svg);
        expect(svg).toContain("fake &lt;model&gt;");
      }
      const png = await Deno.readFile(`${dir}/cutouts.png`);
      expect(Array.from(png.subarray(0, 8))).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
      const json = JSON.parse(await Deno.readTextFile(`${dir}/metrics.json`));
      expect(json.methods.map((m: { name: string }) => m.name)).toEqual(["fake <model>", "LACosmic"]);
      expect(json.cutouts[0].image).toBeUndefined();
      const html = await Deno.readTextFile(`${dir}/report.html`);
      expect(html).toContain("data:image/png;base64,");
      expect((html.match(/<svg/g) ?? []).length).toBe(2 * r.subsets.length);
      const md = await Deno.readTextFile(`${dir}/table.md`);
      expect(md).toContain("| Method | TPR@0.01%FPR | TPR@0.1%FPR | Precision@95%TPR | F1 | IoU | FDR |");
      expect(md).toMatch(/\| LACosmic † \|/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
    const text = formatTable(r);
    expect(text).toMatch(/^all — 1 chunks/);
    expect(text).toContain("fake <model>");
    expect(markdownTables(r)).toContain("## all");
  });
});

describe("deno task eval", () => {
  afterEach(() => vi.restoreAllMocks());

  /** Runs main(argv), returning the exit code and what it printed to stderr. */
  async function run(argv: string[]): Promise<[number, string]> {
    const err: string[] = [];
    vi.spyOn(console, "error").mockImplementation((...a: unknown[]) => void err.push(a.join(" ")));
    vi.spyOn(console, "log").mockImplementation(() => {});
    const code = await evalMain(argv);
    return [code, err.join("\n")];
  }

  it("parses its options", () => {
    const a = parseEvalArgs(["--data", "d", "--models", "a.pth", "b.safetensors", "--lacosmic", "--threshold", "0.3"]);
    expect(a).toMatchObject({ data: "d", models: ["a.pth", "b.safetensors"], lacosmic: true, threshold: 0.3 });
    expect(a).toMatchObject({ split: "test", dilateModels: "auto", subsets: ["band", "telescope"], sigclip: 4.5 });
    expect(parseEvalArgs(["--data", "d", "--lacosmic", "--subsets", "none"]).subsets).toEqual([]);
    expect(() => parseEvalArgs(["--data", "d"])).toThrow(/nothing to evaluate/);
    expect(() => parseEvalArgs(["--lacosmic"])).toThrow(/--data/);
    expect(() => parseEvalArgs(["--data", "d", "--lacosmic", "--dilate-models", "maybe"])).toThrow(/auto, yes or no/);
  });

  it("exits 2 naming the file: missing dataset, not a checkpoint, empty split, bad usage", async () => {
    const dir = await Deno.makeTempDir({ prefix: "crgpu-eval-cli-" });
    try {
      let [code, err] = await run(["--data", `${dir}/nope`, "--lacosmic", "--out", `${dir}/out`]);
      expect(code).toBe(2);
      expect(err).toContain(`${dir}/nope/dataset.json: no such directory`);

      await Deno.writeTextFile(`${dir}/notes.pth`, "not a model");
      [code, err] = await run(["--data", dir, "--models", `${dir}/notes.pth`]);
      expect(code).toBe(2);
      expect(err).toContain(`'${dir}/notes.pth' is not a model checkpoint`);

      const empty = { chunks: 0, shards: [] };
      await Deno.writeTextFile(
        `${dir}/dataset.json`,
        JSON.stringify({
          format: "crgpu-dataset",
          version: 1,
          patch: 256,
          source: {},
          splits: { train: empty, val: empty, test: empty },
        }),
      );
      [code, err] = await run(["--data", dir, "--lacosmic", "--out", `${dir}/out`]);
      expect(code).toBe(2);
      expect(err).toContain(`${dir}/dataset.json: the test split has no chunks`);

      [code, err] = await run(["--data", dir, "--lacosmic", "--threshold", "2"]);
      expect(code).toBe(2);
      expect(err).toContain("--threshold needs a number in [0, 1]");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});

describe("maskPreview (detect --png)", () => {
  const at = (v: { rgb: Uint8Array; width: number }, x: number, y: number) =>
    Array.from(v.rgb.subarray((y * v.width + x) * 3, (y * v.width + x) * 3 + 3));
  const MAGENTA = [255, 40, 140];

  it("enlarges a small image by a whole factor, FITS row 0 at the bottom, the mask in the right panel only", () => {
    // 3 × 2, flagged pixel (x 2, row 0); maxSide 6 → factor 2 → panels of 6 × 4, 12 × 4 in all.
    const v = maskPreview(Float32Array.from([0, 1, 2, 3, 4, 5]), Uint8Array.from([0, 0, 1, 0, 0, 0]), 3, 2, 6);
    expect([v.width, v.height]).toEqual([12, 4]);
    // Row 0 is drawn in output rows 2–3; x 2 in the right panel is output columns 6 + 4, 6 + 5.
    for (const [x, y] of [[10, 2], [11, 2], [10, 3], [11, 3]]) expect(at(v, x, y)).toEqual(MAGENTA);
    for (const [x, y] of [[4, 2], [10, 0], [9, 2]]) expect(at(v, x, y)).not.toEqual(MAGENTA);
    // Outside the mask both panels show the same grey; the brighter row 1 (values 3–5) is on top.
    expect(at(v, 0, 0)).toEqual(at(v, 6, 0));
    expect(at(v, 0, 0)[0]).toBeGreaterThan(at(v, 0, 3)[0]);
  });

  it("reduces a large image in blocks: block means for the image, any flagged pixel marks its block", () => {
    // 10 × 4, maxSide 4 → blocks of 3 → 4 × 2 per panel; the last column of blocks holds x = 9 only.
    const img = Float32Array.from({ length: 40 }, (_, i) => (i % 10) + 10 * Math.floor(i / 10));
    const mask = new Uint8Array(40);
    mask[1 * 10 + 7] = 1; // x 7, row 1 → block (2, 0) → output (4 + 2, 1)
    const v = maskPreview(img, mask, 10, 4, 4);
    expect([v.width, v.height]).toEqual([8, 2]);
    for (let y = 0; y < 2; y++) {
      for (let x = 0; x < 8; x++) expect(at(v, x, y).join() === MAGENTA.join(), `(${x}, ${y})`).toBe(x === 6 && y === 1);
    }
    // Block (3, 1) = pixel (9, 3), mean 39, drawn at (3, 0); block (0, 0) mean 11 at (0, 1).
    expect(at(v, 3, 0)[0]).toBeGreaterThan(at(v, 0, 1)[0]);
  });
});
