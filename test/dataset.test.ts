// Datasets (src/data/dataset): the shard format, the loader (order, resume, augmentation), the paper's recipe on
// hand-built frames (expected values computed here in float64), the builders and the CLI, and bad input. Small
// frames only, so the file runs in seconds.
import { afterAll, describe, expect, it } from "vitest";
import { readFits, readImage, writeFits } from "../src/data/fits.ts";
import {
  buildDataset,
  cleanScience,
  cutChunks,
  Dataset,
  DatasetError,
  DEFAULT_RECIPE,
  injectPair,
  type Manifest,
  synthDataset,
} from "../src/data/dataset.ts";
import { decodeShard, encodeShard } from "../src/data/dataset/shard.ts";
import { memorySink, SplitWriter } from "../src/data/dataset/writer.ts";
import { emptyManifest } from "../src/data/dataset/manifest.ts";
import { main as datasetCli } from "../src/cli/dataset.ts";
import { Rng } from "../src/nn/init.ts";

const P = 8; // tiny patches for the loader tests

/** A dataset of `n` tiny chunks whose pixels say which chunk and pixel they are: image = id·1000 + y·P + x,
 * mask = 1 on the upper-left quarter, ignore = 1 on pixel (P−1, 0); sky = id + 1. */
async function tinyDataset(n: number, scatter = true) {
  const shards = new Map<string, Uint8Array>();
  const manifest = emptyManifest(P, { generator: "test" });
  const w = new SplitWriter("train", P, n, memorySink(shards), manifest, 7, scatter);
  for (let id = 0; id < n; id++) {
    const image = new Float32Array(P * P), mask = new Uint8Array(P * P), ignore = new Uint8Array(P * P);
    for (let y = 0; y < P; y++) {
      for (let x = 0; x < P; x++) {
        image[y * P + x] = id * 1000 + y * P + x;
        mask[y * P + x] = x < P / 2 && y < P / 2 ? 1 : 0;
      }
    }
    ignore[P - 1] = 1;
    await w.add({ image, mask, ignore, info: { frame: `f${id % 5}`, x: 0, y: 0, sky: id + 1, id } });
  }
  await w.finish();
  return { manifest, shards, ds: Dataset.fromMemory(manifest, shards) };
}

async function collect(ds: Dataset, split: "train" | "val" | "test", opts: Parameters<Dataset["batches"]>[1]) {
  const out = [];
  for await (const b of ds.batches(split, opts)) out.push(b);
  return out;
}

describe("dataset: shard format", () => {
  it("round trip, and the cubes read back plane by plane with the FITS reader", async () => {
    const rng = new Rng(3);
    const n = 3, px = n * P * P;
    const images = Float32Array.from({ length: px }, () => rng.normal() * 100);
    images[5] = NaN;
    const masks = Uint8Array.from({ length: px }, () => (rng.next() < 0.2 ? 1 : 0));
    const ignore = Uint8Array.from({ length: px }, () => (rng.next() < 0.1 ? 1 : 0));
    const sky = Float32Array.from([1.5, 20, 300.25]);
    const bytes = encodeShard({ patch: P, n, images, masks, ignore, sky }, [{
      key: "SPLIT",
      value: "train",
      comment: "",
    }]);
    expect(bytes.length % 2880).toBe(0);
    const back = await decodeShard(bytes, "x.fits", P, n);
    expect(new Uint8Array(back.images.buffer)).toEqual(new Uint8Array(images.buffer));
    expect(back.masks).toEqual(masks);
    expect(back.ignore).toEqual(ignore);
    expect(back.sky).toEqual(sky);
    const f = await readFits(bytes, "x.fits");
    expect(f.hdus.map((h) => h.extname)).toEqual([null, "IMAGE", "MASK", "IGNORE", "SKY"]);
    expect(f.hdus[0].header.get("NCHUNK")).toBe(3);
    expect(f.hdus[0].header.get("SPLIT")).toBe("train");
    expect(f.hdus[1].naxis).toEqual([P, P, n]);
    const plane = await readImage(f, "IMAGE", { plane: 2 });
    expect(Array.from(plane.data)).toEqual(Array.from(images.subarray(2 * P * P)));
    const maskPlane = await readImage(f, "MASK", { plane: 1 });
    expect(Array.from(maskPlane.data)).toEqual(Array.from(masks.subarray(P * P, 2 * P * P)));
    await expect(decodeShard(bytes, "x.fits", P, 4)).rejects.toThrow("x.fits: IMAGE is 8×8×3, expected 8×8×4");
    await expect(decodeShard(bytes.subarray(0, bytes.length - 3000), "x.fits", P, 3)).rejects.toThrow(
      /x\.fits: .*truncated/,
    );
  });
});

describe("dataset: loader", () => {
  it("shards hold ≤ 64 chunks mixed from all frames; one epoch visits each chunk once", async () => {
    const { manifest, ds } = await tinyDataset(150);
    expect(manifest.splits.train.shards.map((s) => s.chunks)).toEqual([64, 64, 22]);
    for (const s of manifest.splits.train.shards.slice(0, 2)) {
      expect(new Set(s.info.map((i) => i.frame)).size).toBe(5); // scattered, not frame by frame
    }
    expect(ds.size("train")).toBe(150);
    expect(ds.batchCount("train", 16)).toBe(10);
    expect(ds.batchCount("train", 16, true)).toBe(9);
    const batches = await collect(ds, "train", { batch: 16, seed: 1, epoch: 0, sky: false });
    expect(batches.map((b) => b.n)).toEqual([16, 16, 16, 16, 16, 16, 16, 16, 16, 6]);
    const ids = batches.flatMap((b) => b.info.map((i) => i.id as number));
    expect([...ids].sort((a, b) => a - b)).toEqual(Array.from({ length: 150 }, (_, i) => i));
    expect(ids).not.toEqual(Array.from({ length: 150 }, (_, i) => i)); // shuffled
    // images follow their info
    batches.forEach((b) =>
      b.info.forEach((inf, k) => expect(b.images[k * P * P + 9]).toBe((inf.id as number) * 1000 + 9))
    );
    const dropped = await collect(ds, "train", { batch: 16, seed: 1, epoch: 0, dropLast: true });
    expect(dropped.length).toBe(9);
  });

  it("deterministic in (seed, epoch); start = k gives the tail of the uninterrupted epoch exactly", async () => {
    const { ds } = await tinyDataset(100);
    const opts = { batch: 8, seed: 5, epoch: 2, crop: 4, flips: true };
    const a = await collect(ds, "train", opts), b = await collect(ds, "train", opts);
    expect(b).toEqual(a);
    const other = await collect(ds, "train", { ...opts, epoch: 3 });
    expect(other.map((x) => x.info.map((i) => i.id))).not.toEqual(a.map((x) => x.info.map((i) => i.id)));
    for (const start of [1, 6, 12, 13]) {
      const tail = await collect(ds, "train", { ...opts, start });
      expect(tail).toEqual(a.slice(start));
    }
    await expect(collect(ds, "train", { ...opts, start: 14 })).rejects.toThrow("start must be an integer in 0…13");
  });

  it("decodes each shard once per epoch (at most two kept)", async () => {
    const { manifest, shards } = await tinyDataset(200);
    let reads = 0;
    const counting = new Map(shards);
    counting.get = (k: string) => (reads++, shards.get(k));
    const ds = Dataset.fromMemory(manifest, counting);
    await collect(ds, "train", { batch: 24, seed: 2, epoch: 0 });
    expect(reads).toBe(manifest.splits.train.shards.length);
  });

  it("sky augmentation: image += α·sky with α in [−0.9, 3] for train, none elsewhere", async () => {
    const { ds } = await tinyDataset(200);
    const batches = await collect(ds, "train", { batch: 50, seed: 9, epoch: 0 });
    const alphas: number[] = [];
    for (const b of batches) {
      b.info.forEach((inf, k) => {
        const id = inf.id as number, alpha = inf.alpha as number;
        alphas.push(alpha);
        for (let p = 0; p < P * P; p++) {
          expect(b.images[k * P * P + p]).toBe(Math.fround(id * 1000 + p + alpha * (id + 1)));
        }
      });
    }
    expect(Math.min(...alphas)).toBeGreaterThanOrEqual(-0.9);
    expect(Math.max(...alphas)).toBeLessThanOrEqual(3);
    expect(Math.min(...alphas)).toBeLessThan(-0.7); // the range is used, not a point
    expect(Math.max(...alphas)).toBeGreaterThan(2.8);
    const mean = alphas.reduce((s, a) => s + a, 0) / alphas.length;
    expect(Math.abs(mean - 1.05)).toBeLessThan(0.25); // U[−0.9, 3] has mean 1.05; σ/√200 ≈ 0.08
    const custom = await collect(ds, "train", { batch: 50, seed: 9, epoch: 0, sky: [2, 2] });
    expect(custom[0].images[0]).toBe(
      (custom[0].info[0].id as number) * 1000 + 2 * ((custom[0].info[0].id as number) + 1),
    );
  });

  it("flips, rotations and crops move image, mask and ignore together", async () => {
    const { ds } = await tinyDataset(64);
    const batches = await collect(ds, "train", { batch: 64, seed: 4, epoch: 1, crop: 4, flips: true, sky: false });
    const seen = new Set<number>();
    for (const b of batches) {
      expect(b.size).toBe(4);
      expect(b.ignore).not.toBeNull();
      b.info.forEach((inf, k) => {
        seen.add(inf.transform as number);
        for (let p = 0; p < 16; p++) {
          const v = b.images[k * 16 + p] - (inf.id as number) * 1000; // the source pixel's y·P + x
          const sx = v % P, sy = Math.floor(v / P);
          expect(sx - (inf.cropX as number)).toBeGreaterThanOrEqual(0);
          expect(sx - (inf.cropX as number)).toBeLessThan(4);
          expect(sy - (inf.cropY as number)).toBeGreaterThanOrEqual(0);
          expect(sy - (inf.cropY as number)).toBeLessThan(4);
          expect(b.masks[k * 16 + p]).toBe(sx < P / 2 && sy < P / 2 ? 1 : 0);
          expect(b.ignore![k * 16 + p]).toBe(sx === P - 1 && sy === 0 ? 1 : 0);
        }
        // a dihedral map: neighbours stay neighbours
        const at = (x: number, y: number) => b.images[k * 16 + y * 4 + x];
        const d = Math.abs(at(1, 0) - at(0, 0)), e = Math.abs(at(0, 1) - at(0, 0));
        expect([d, e].sort((p, q) => p - q)).toEqual([1, P]);
      });
    }
    expect(seen.size).toBe(8);
  });

  it("CR-aware crops: crShare 1 puts a CR pixel in every crop; crShare 0 draws exactly the uniform crops", async () => {
    const { ds } = await tinyDataset(64);
    const opts = { batch: 64, seed: 4, epoch: 1, crop: 4, flips: true, sky: false as const };
    const hits = (bs: Awaited<ReturnType<typeof collect>>) =>
      bs.flatMap((b) => b.info.map((_, k) => b.masks.subarray(k * 16, (k + 1) * 16).some((v) => v > 0)));
    // Uniform 4² crops of an 8² chunk whose upper-left 4² quarter is CR: (4/5)² = 64% of them reach it.
    const uniform = hits(await collect(ds, "train", opts));
    expect(uniform.filter(Boolean).length).toBeLessThan(uniform.length);
    expect(hits(await collect(ds, "train", { ...opts, crShare: 1 })).every(Boolean)).toBe(true);
    const same = await collect(ds, "train", { ...opts, crShare: 0 }), before = await collect(ds, "train", opts);
    expect(same.map((b) => b.info)).toEqual(before.map((b) => b.info));
    await expect(collect(ds, "train", { ...opts, crShare: 2 })).rejects.toThrow(/crShare must be in \[0, 1\]/);
  });

  it("val and test: stored order, no sky term, unless asked", async () => {
    const { manifest, shards } = await tinyDataset(70);
    // Move the split to 'test' for this check.
    const m: Manifest = JSON.parse(JSON.stringify(manifest));
    m.splits.test = m.splits.train;
    m.splits.train = { chunks: 0, shards: [] };
    const ds = Dataset.fromMemory(m, shards);
    const b = await collect(ds, "test", { batch: 32, seed: 1, epoch: 0 });
    const ids = b.flatMap((x) => x.info.map((i) => i.id));
    expect(ids).toEqual(m.splits.test.shards.flatMap((s) => s.info.map((i) => i.id)));
    expect(b[0].images[0]).toBe((b[0].info[0].id as number) * 1000);
    expect(b[0].info[0].alpha).toBeUndefined();
    const chunks = [];
    for await (const c of ds.chunks("test")) chunks.push(c);
    expect(chunks.map((c) => c.info.id)).toEqual(ids);
    expect(chunks[3].image[10]).toBe((chunks[3].info.id as number) * 1000 + 10);
    expect(ds.size("train")).toBe(0);
    expect(await collect(ds, "train", { batch: 4, seed: 1, epoch: 0 })).toEqual([]);
  });
});

/** Dark for the recipe checks, 24×24: columns cycle 98, 100, 102, 100 (so the CR-free pixels have median 100 and
 * σ = √2 exactly), with CR segments replacing whole 4-pixel cycles (so those proportions stay exact):
 *   a 2×4 blob at rows 10–11, x 8–11 (a real CR); a 1×4 segment at row 16, x 12–15 of value 105 (above
 *   d₀ + 3σ = 104.24 but no pixel above d₀ + 5σ = 107.07: unseeded); segments at row 0, x 4–7 and at row 1,
 *   x 16–19 (touching the edge once dilated). */
function recipeDark() {
  const W = 24, H = 24;
  const data = new Float32Array(W * H);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) data[y * W + x] = [98, 100, 102, 100][x % 4];
  const put = (y: number, x0: number, values: number[]) => values.forEach((v, k) => (data[y * W + x0 + k] = v));
  put(10, 8, [300, 500, 400, 200]);
  put(11, 8, [150, 260, 350, 120]);
  put(16, 12, [105, 105, 105, 105]);
  put(0, 4, [250, 250, 250, 250]);
  put(1, 16, [180, 180, 180, 180]);
  return { data, width: W, height: H };
}

/** Pixels of the 3×3 dilation of a set of (x, y), as "x,y" strings. */
function dilated(points: [number, number][], W: number, H: number): Set<string> {
  const out = new Set<string>();
  for (const [x, y] of points) {
    for (let dy = -1; dy <= 1; dy++) {
      for (let dx = -1; dx <= 1; dx++) {
        if (x + dx >= 0 && x + dx < W && y + dy >= 0 && y + dy < H) out.add(`${x + dx},${y + dy}`);
      }
    }
  }
  return out;
}

function maskSet(mask: Uint8Array, W: number): Set<string> {
  const out = new Set<string>();
  mask.forEach((v, i) => v && out.add(`${i % W},${Math.floor(i / W)}`));
  return out;
}

describe("dataset: the recipe on hand-built frames", () => {
  const blob: [number, number][] = [];
  for (let y = 10; y <= 11; y++) for (let x = 8; x <= 11; x++) blob.push([x, y]);
  const low: [number, number][] = [[12, 16], [13, 16], [14, 16], [15, 16]];

  it("dark mask: median + 3σ threshold, 5σ seed, 3×3 dilation, edge components dropped; injection arithmetic", () => {
    const dark = recipeDark(), W = dark.width, H = dark.height;
    // U: 50 + [−1, 0, 1, 0] by column (median 50, σ_U = √0.5), one saturated and one NaN pixel.
    const u = new Float32Array(W * H);
    for (let i = 0; i < u.length; i++) u[i] = 50 + [-1, 0, 1, 0][(i % W) % 4];
    const ignore = new Uint8Array(W * H);
    ignore.fill(1, 11 * W + 8, 11 * W + 12); // saturated science pixels under the CR blob: no charge, still labelled
    const science = { data: u, width: W, height: H, ignore, flagged: 0, lacosmicMask: new Uint8Array(W * H) };
    const inj = injectPair(science, dark);
    expect(inj.darkLevel).toBe(100);
    expect(inj.sigmaDark).toBeCloseTo(Math.SQRT2, 12);
    expect(inj.sigmaScience).toBeCloseTo(Math.SQRT1_2, 12);
    expect(inj.dark.above).toBe(8 + 4 + 4 + 4); // every segment is above 104.24
    expect(inj.dark.unseeded).toBe(4);
    expect(inj.dark.edgeDropped).toBe(2);
    expect(maskSet(inj.mask, W)).toEqual(dilated(blob, W, H));
    const factor = (1 / 8) * Math.SQRT1_2 / Math.SQRT2; // = 1/16
    expect(inj.factor).toBeCloseTo(factor, 12);
    for (let i = 0; i < W * H; i++) {
      const expected = inj.mask[i] && !ignore[i] ? u[i] + factor * (dark.data[i] - 100) : u[i];
      expect(inj.image[i]).toBeCloseTo(expected, 4);
    }
    expect(inj.image[10 * W + 9]).toBeCloseTo(50 + 400 / 16, 5); // 500 − 100 at x = 9 (U = 50)
    expect(inj.image[11 * W + 9]).toBe(50);
    expect(inj.mask[11 * W + 9]).toBe(1);
    // The paper's text without the seed keeps the 105-valued segment as a cosmic ray.
    const noSeed = injectPair(science, dark, { ...DEFAULT_RECIPE, darkSeedSigma: 0 });
    expect(maskSet(noSeed.mask, W)).toEqual(new Set([...dilated(blob, W, H), ...dilated(low, W, H)]));
  });

  it("chunks: sky = median of U over usable pixels, non-finite pixels filled and ignored, remainder left out", () => {
    const W = 20, H = 10, patch = 8;
    const rng = new Rng(2);
    const u = Float32Array.from({ length: W * H }, () => Math.round(100 + 10 * rng.normal()));
    const image = u.slice();
    image[3 * W + 2] = NaN;
    const ignore = new Uint8Array(W * H);
    ignore[1 * W + 9] = 1;
    const mask = new Uint8Array(W * H);
    mask[5 * W + 12] = 1;
    const params = { ...DEFAULT_RECIPE, patch };
    const chunks = cutChunks({ image, mask, ignore, width: W, height: H }, { data: u, width: W, height: H }, params);
    expect(chunks.length).toBe(2); // floor(20/8) × floor(10/8); the rest is left out
    const median = (v: number[]) => {
      const s = [...v].sort((a, b) => a - b);
      return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    };
    for (const [k, x0] of [[0, 0], [1, 8]]) {
      const c = chunks[k]!;
      expect([c.x, c.y]).toEqual([x0, 0]);
      const usable: number[] = [];
      for (let y = 0; y < patch; y++) {
        for (let x = 0; x < patch; x++) {
          const i = y * W + x0 + x;
          if (!ignore[i] && Number.isFinite(image[i])) usable.push(u[i]);
        }
      }
      expect(c.sky).toBe(median(usable));
    }
    expect(chunks[0]!.image[3 * patch + 2]).toBe(Math.fround(chunks[0]!.sky));
    expect(chunks[0]!.ignore![3 * patch + 2]).toBe(1);
    expect(chunks[1]!.ignore![1 * patch + 1]).toBe(1);
    expect(chunks[1]!.mask[5 * patch + 4]).toBe(1);
    // A chunk more than half ignored is dropped (null), keeping positions numbered.
    ignore.fill(1, 0, 6 * W);
    const again = cutChunks({ image, mask, ignore, width: W, height: H }, { data: u, width: W, height: H }, params);
    expect(again.map((c) => c === null)).toEqual([true, true]);
  });

  it("LACosmic cleaning replaces a cosmic ray by the 5×5 median; saturated and bad pixels are ignored", () => {
    const W = 40, H = 40;
    const rng = new Rng(8);
    const data = Float32Array.from({ length: W * H }, () => Math.round(200 + 10 * rng.normal()));
    const original = data.slice();
    const at = 20 * W + 17;
    data[at] = 3000; // a one-pixel cosmic ray
    data[5 * W + 30] = 70000; // saturated
    const bad = new Uint8Array(W * H);
    bad[33 * W + 6] = 1;
    const u = cleanScience({ data, width: W, height: H }, {
      gain: 1,
      readnoise: 10,
      saturation: 60000,
      badPixels: bad,
    });
    expect(u.lacosmicMask[at]).toBe(1);
    const window: number[] = [];
    for (let dy = -2; dy <= 2; dy++) for (let dx = -2; dx <= 2; dx++) window.push(data[at + dy * W + dx]);
    window.sort((a, b) => a - b);
    if (u.flagged === 1) expect(u.data[at]).toBe(window[12]);
    expect(Math.abs(u.data[at] - original[at])).toBeLessThan(50);
    expect(u.ignore[5 * W + 30]).toBe(1);
    expect(u.ignore[33 * W + 6]).toBe(1);
    expect(u.ignore.reduce((a, b) => a + b, 0)).toBe(2);
    expect(() =>
      cleanScience({ data: new Float32Array(64).fill(NaN), width: 8, height: 8 }, {
        gain: 1,
        readnoise: 5,
        saturation: Infinity,
      })
    )
      .toThrow("every pixel is NaN or infinite");
  });
});

describe("dataset: synthDataset", () => {
  it("one seeded call: splits, bands, test frames held out; same seed → same bytes", async () => {
    const opts = { frames: 4, testFrames: 2, width: 128, height: 128, patch: 32, seed: 3 } as const;
    const a = await synthDataset(opts);
    const m = a.manifest;
    // 4 train frames × 16 chunk positions = 64 → val = max(1, round(0.64)) = 1.
    expect([m.splits.train.chunks, m.splits.val.chunks, m.splits.test.chunks]).toEqual([63, 1, 32]);
    const frames = (s: "train" | "val" | "test") =>
      new Set(m.splits[s].shards.flatMap((sh) => sh.info.map((i) => i.frame)));
    const test = frames("test");
    for (const f of [...frames("train"), ...frames("val")]) expect(test.has(f)).toBe(false);
    const bands = m.splits.train.shards.flatMap((sh) => sh.info.map((i) => i.band));
    expect(new Set(bands)).toEqual(new Set(["g", "r", "i", "z"]));
    expect((m.source.recipe as { kc: number }).kc).toBe(1 / 8);
    const b = await synthDataset(opts);
    expect(b.manifest).toEqual(m);
    for (const [file, bytes] of a.shards!) expect(b.shards!.get(file)).toEqual(bytes);
    const ds = Dataset.fromMemory(m, a.shards!);
    let cr = 0;
    for await (const c of ds.chunks("test")) cr += c.mask.reduce((s, v) => s + v, 0);
    expect(cr).toBeGreaterThan(0);
  });

  it("simulateScience's camera option: DECam by default, LCO classes with their scale, zero point and CCD", async () => {
    const { simulateScience, DECAM_CAMERA, LCO_CLASSES } = await import("../src/data/synth/index.ts");
    const base = { width: 64, height: 64, band: "r" as const, seed: 4, starDensity: 0, galaxyDensity: 0 };
    const a = simulateScience(base), b = simulateScience({ ...base, camera: DECAM_CAMERA });
    expect(b.image).toEqual(a.image);
    const lco = LCO_CLASSES["1m"];
    const f = simulateScience({ ...base, exposure: 200, camera: lco.camera, seeing: lco.seeing });
    // r sky 21.1 mag/arcsec², zero point 25.209 + 5 log10(1 m / 4 m), 0.389″ pixels, 200 s, gain 1 (Sinistro).
    const expected = 10 ** (-0.4 * (21.1 - (25.209 + 5 * Math.log10(0.25)))) * 0.389 ** 2 * 200;
    expect(f.sky).toBeCloseTo(expected, 9);
    expect(f.meta.pixelScale).toBe(0.389);
    expect(f.meta.gain).toBe(1);
    expect(f.meta.readNoise).toBe(7.5);
    expect(f.meta.fwhmPixels).toBeCloseTo(2.04 / 0.389, 9);
    expect(f.meta.camera).toBe("lco-1m-sinistro");
  });

  it("lco mode: the three telescope classes, thin-CCD darks, a test split only", async () => {
    const { manifest } = await synthDataset({ mode: "lco", testFrames: 3, width: 256, height: 256, patch: 128 });
    expect(manifest.splits.train.chunks).toBe(0);
    expect(manifest.splits.test.chunks).toBe(12);
    const scopes = manifest.splits.test.shards.flatMap((s) => s.info.map((i) => i.telescope));
    expect(new Set(scopes)).toEqual(new Set(["0.4m", "1m", "2m"]));
  });

  it("random mode: every frame its own instrument within RANDOM_RANGES, thick and thin darks, hot pixels", async () => {
    const { RANDOM_RANGES } = await import("../src/data/synth/randomized.ts");
    const { manifest } = await synthDataset({ mode: "random", frames: 6, testFrames: 2, width: 256, height: 256, patch: 128 });
    const infos = ["train", "val", "test"].flatMap((k) =>
      manifest.splits[k as "train"].shards.flatMap((s) => s.info)
    );
    const fwhm = new Set(infos.map((i) => i.fwhm as number));
    expect(fwhm.size).toBeGreaterThan(4);
    for (const i of infos) {
      expect(i.fwhm).toBeGreaterThanOrEqual(RANDOM_RANGES.fwhmPixels.lo);
      expect(i.fwhm).toBeLessThanOrEqual(RANDOM_RANGES.fwhmPixels.hi);
      expect(i.gain).toBeGreaterThanOrEqual(RANDOM_RANGES.gain.lo - 1e-3);
      expect(i.gain).toBeLessThanOrEqual(RANDOM_RANGES.gain.hi + 1e-3);
    }
    const frames = manifest.source.frames as { hotPixels: number }[];
    expect(frames.every((f) => Number.isInteger(f.hotPixels))).toBe(true);
    expect(new Set(infos.map((i) => i.darkCcd))).toEqual(new Set(["decam", "lco-thin"]));
  });
});

// ---------------------------------------------------------------------------------------------------------------
// buildDataset from FITS files, and bad input.

const tmp = Deno.makeTempDirSync({ prefix: "crgpu-dataset-test-" });
afterAll(() => Deno.removeSync(tmp, { recursive: true }));

/** A FITS file made of header cards only (each padded to 80 columns) and `dataBytes` zero bytes. */
function rawFits(cards: string[], dataBytes = 0): Uint8Array {
  const text = [...cards, "END"].map((c) => c.padEnd(80)).join("");
  const head = Math.ceil(text.length / 2880) * 2880, body = Math.ceil(dataBytes / 2880) * 2880;
  const out = new Uint8Array(head + body);
  for (let i = 0; i < head; i++) out[i] = i < text.length ? text.charCodeAt(i) : 32;
  return out;
}

async function frames() {
  const { simulateScience, simulateDark } = await import("../src/data/synth/index.ts");
  const paths: string[] = [];
  for (let i = 0; i < 3; i++) {
    const s = simulateScience({ width: 256, height: 192, band: "r", seed: 40 + i, bias: 500, cosmics: true });
    const header = [{ key: "GAIN", value: 4, comment: "" }, { key: "RDNOISE", value: 7, comment: "" }, {
      key: "FILTER",
      value: "r DECam SDSS c0002",
      comment: "",
    }];
    // BITPIX 16 unsigned (BZERO 32768), −32 and −64.
    const data = i === 0 ? Uint16Array.from(s.image) : i === 1 ? s.image : Float64Array.from(s.image);
    const path = `${tmp}/sci${i}.fits`;
    await Deno.writeFile(path, writeFits([{ data, width: 256, height: 192, header }]));
    paths.push(path);
  }
  const darks: string[] = [];
  for (let i = 0; i < 2; i++) {
    const d = simulateDark({ width: 240 + 16 * i, height: 200, exposure: 600, seed: 50 + i });
    const path = `${tmp}/dark${i}.fits`;
    await Deno.writeFile(path, writeFits([{ data: d.image, width: 240 + 16 * i, height: 200 }]));
    darks.push(path);
  }
  return { science: paths, darks };
}

describe("dataset: buildDataset", () => {
  it("BITPIX 16/−32/−64 frames; test held out (fraction, at least one); darks in turn; overlap crop", async () => {
    const { science, darks } = await frames();
    const out = `${tmp}/built`;
    const m = await buildDataset({ science, darks, out, patch: 64, seed: 2 });
    // Overlaps: sci0 × dark0 = 240×192 → 3×3 chunks, sci1 × dark1 = 256×192 → 4×3, sci2 × dark0 → 3×3.
    const recs = m.source.frames as {
      name: string;
      split: string;
      band: string;
      pairs: { dark: string; width: number; chunks: number }[];
    }[];
    expect(recs.map((r) => r.pairs[0].dark)).toEqual(["dark0.fits", "dark1.fits", "dark0.fits"]);
    expect(recs.map((r) => r.pairs[0].width)).toEqual([240, 256, 240]);
    expect(recs.filter((r) => r.split === "test").length).toBe(1); // round(0.1 × 3) = 0 → at least 1
    const perFrame = [9, 12, 9];
    const testChunks = recs.reduce((s, r, i) => s + (r.split === "test" ? perFrame[i] : 0), 0);
    const trainAll = 30 - testChunks;
    expect(m.splits.test.chunks).toBe(testChunks);
    expect(m.splits.val.chunks).toBe(1);
    expect(m.splits.train.chunks).toBe(trainAll - 1);
    expect(recs[0].band).toBe("r DECam SDSS c0002");
    const ds = await Dataset.open(out);
    expect(ds.size("train")).toBe(trainAll - 1);
    const [batch] = await collect(ds, "train", { batch: 4, seed: 1, epoch: 0, sky: false });
    expect(batch.images.length).toBe(4 * 64 * 64);
    // The chunk's pixels are C: the science frame where the mask is 0 (up to LACosmic's cleaning).
    const again = await buildDataset({ science, darks, out, patch: 64, seed: 2, force: true });
    expect(again.splits).toEqual(m.splits);
    const explicit = await buildDataset({
      science: science.slice(0, 2),
      test: [science[2]],
      darks,
      out,
      patch: 64,
      force: true,
    });
    expect(explicit.splits.test.shards.flatMap((s) => s.info.map((i) => i.frame))).toEqual(
      Array(9).fill("sci2.fits"),
    );
  });

  it("bad input names the file and the problem", async () => {
    const { science, darks } = await frames();
    const out = `${tmp}/bad-out`;
    const build = (sci: string[], more: Partial<Parameters<typeof buildDataset>[0]> = {}) =>
      buildDataset({ science: sci, darks, out, patch: 64, force: true, ...more });
    await expect(build([`${tmp}/nope.fits`])).rejects.toThrow(`${tmp}/nope.fits: no such file`);
    await expect(build([`${tmp}/nope.fits`])).rejects.toBeInstanceOf(DatasetError);
    await Deno.writeTextFile(`${tmp}/text.fits`, "hello, not FITS");
    await expect(build([`${tmp}/text.fits`])).rejects.toThrow(`${tmp}/text.fits: not a FITS file`);
    const good = await Deno.readFile(science[1]);
    await Deno.writeFile(`${tmp}/cut.fits`, good.subarray(0, 2880 + 10000));
    await expect(build([`${tmp}/cut.fits`])).rejects.toThrow(/cut\.fits: .*truncated/);
    await Deno.writeFile(
      `${tmp}/bitpix.fits`,
      rawFits([
        "SIMPLE  =                    T",
        "BITPIX  =                   12",
        "NAXIS   =                    2",
        "NAXIS1  =                  256",
        "NAXIS2  =                  256",
      ]),
    );
    await expect(build([`${tmp}/bitpix.fits`])).rejects.toThrow(/bitpix\.fits: .*BITPIX is 12/);
    await Deno.writeFile(
      `${tmp}/empty.fits`,
      rawFits(["SIMPLE  =                    T", "BITPIX  =                    8", "NAXIS   =                    0"]),
    );
    await expect(build([`${tmp}/empty.fits`])).rejects.toThrow(/empty\.fits: no HDU holds a 2-D image/);
    await Deno.writeFile(`${tmp}/small.fits`, writeFits([{ data: new Float32Array(50 * 40), width: 50, height: 40 }]));
    await expect(build([`${tmp}/small.fits`])).rejects.toThrow(
      `${tmp}/small.fits: image is 50×40, smaller than one 64×64 chunk`,
    );
    await Deno.writeFile(
      `${tmp}/nan.fits`,
      writeFits([{ data: new Float32Array(64 * 64).fill(NaN), width: 64, height: 64 }]),
    );
    await expect(build([`${tmp}/nan.fits`])).rejects.toThrow("nan.fits: every pixel is NaN or infinite");
    await expect(build([science[0]], { darks: [`${tmp}/nan.fits`] })).rejects.toThrow("nan.fits: every pixel is NaN");
    await expect(build([science[0]], { test: [science[0]] })).rejects.toThrow(
      `${science[0]}: is given both as a science (train) frame and as a test frame`,
    );
    await expect(build([science[0]], { hdu: 3 })).rejects.toThrow(/sci0\.fits: no HDU 3/);
    await Deno.mkdir(`${tmp}/foreign`);
    await Deno.writeTextFile(`${tmp}/foreign/notes.txt`, "mine");
    await expect(build([science[0]], { out: `${tmp}/foreign` })).rejects.toThrow(
      `${tmp}/foreign: is not empty and not a dataset directory`,
    );
    await buildDataset({ science: [science[0]], darks, out: `${tmp}/once`, patch: 64 });
    await expect(buildDataset({ science: [science[0]], darks, out: `${tmp}/once`, patch: 64 })).rejects.toThrow(
      "already holds a dataset",
    );
  });

  it("a damaged dataset directory: clear errors from Dataset.open and the loader", async () => {
    const { science, darks } = await frames();
    const dir = `${tmp}/damaged`;
    await buildDataset({ science, darks, out: dir, patch: 64, force: true });
    const json = await Deno.readTextFile(`${dir}/dataset.json`);
    await expect(Dataset.open(`${tmp}/no-such-dir`)).rejects.toThrow(
      `${tmp}/no-such-dir/dataset.json: no such directory`,
    );
    await expect(Dataset.open(`${tmp}/foreign`)).rejects.toThrow(
      "dataset.json: no such file: not a crgpu dataset directory",
    );
    await Deno.writeTextFile(`${dir}/dataset.json`, json.slice(0, 100));
    await expect(Dataset.open(dir)).rejects.toThrow(`${dir}/dataset.json: corrupted: not valid JSON`);
    await Deno.writeTextFile(`${dir}/dataset.json`, json.replace('"format":"crgpu-dataset"', '"format":"other"'));
    await expect(Dataset.open(dir)).rejects.toThrow(`"format" is "other", expected "crgpu-dataset"`);
    const m = JSON.parse(json);
    m.splits.train.chunks += 1;
    await Deno.writeTextFile(`${dir}/dataset.json`, JSON.stringify(m));
    await expect(Dataset.open(dir)).rejects.toThrow(/splits\.train\.chunks is \d+ but its shards hold \d+/);
    await Deno.writeTextFile(`${dir}/dataset.json`, json);
    await Deno.rename(`${dir}/test-0000.fits`, `${dir}/moved.fits`);
    await expect(Dataset.open(dir)).rejects.toThrow(
      `${dir}/test-0000.fits: missing: dataset.json lists it in the test split`,
    );
    await Deno.rename(`${dir}/moved.fits`, `${dir}/test-0000.fits`);
    const shard = await Deno.readFile(`${dir}/train-0000.fits`);
    await Deno.writeFile(`${dir}/train-0000.fits`, shard.subarray(0, shard.length - 5000));
    const ds = await Dataset.open(dir);
    await expect(collect(ds, "train", { batch: 64, seed: 1, epoch: 0, shuffle: false })).rejects.toThrow(
      /train-0000\.fits: .*truncated/,
    );
  });
});

describe("dataset: CLI", () => {
  it("info, preview, and exit code 2 on bad input", async () => {
    const { science, darks } = await frames();
    const dir = `${tmp}/cli`;
    expect(await datasetCli(["build", "--science", ...science, "--darks", ...darks, "--out", dir, "--patch", "64"]))
      .toBe(0);
    expect(await datasetCli(["info", dir])).toBe(0);
    expect(await datasetCli(["preview", dir, "--out", `${tmp}/sheet.png`, "--count", "3", "--split", "train"])).toBe(0);
    const png = await Deno.readFile(`${tmp}/sheet.png`);
    expect(Array.from(png.subarray(1, 4))).toEqual([80, 78, 71]); // "PNG"
    expect(png[25]).toBe(2); // RGB
    expect(await datasetCli(["info", `${tmp}/nothing-here`])).toBe(2);
    expect(await datasetCli(["build", "--science", `${tmp}/nope.fits`, "--darks", ...darks, "--out", `${tmp}/x`])).toBe(
      2,
    );
    expect(await datasetCli(["build", "--darks", ...darks, "--out", `${tmp}/x`])).toBe(2);
    expect(await datasetCli(["synth", "--mode", "hst", "--out", `${tmp}/x`])).toBe(2);
    expect(await datasetCli(["synth", "--out", `${tmp}/x`, "--bogus", "1"])).toBe(2);
    expect(await datasetCli(["frobnicate"])).toBe(2);
  });
});
