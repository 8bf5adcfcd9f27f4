// Reading a dataset for training and evaluation. Shards are decoded on demand and at most two are kept, so memory
// stays bounded whatever the dataset's size. An epoch's order is a seeded shuffle of the shards, then of the chunks
// within each shard; batches are consecutive runs of that order, and every chunk's augmentation is drawn from an Rng
// seeded by (seed, epoch, position), so `start: k` gives exactly batches k, k+1, … of the uninterrupted epoch.
import { applyAugment, type AugmentOptions, drawAugment } from "./augment.ts";
import { DatasetError } from "./errors.ts";
import { type ChunkInfo, type Manifest, type SplitName, SPLITS, validateManifest } from "./manifest.ts";
import { permutation, rngFor, SALT } from "./random.ts";
import { decodeShard, type ShardData } from "./shard.ts";

export interface Batch {
  n: number;
  /** Side of each image. */
  size: number;
  /** n × 1 × size × size, ADU (sky augmentation included). */
  images: Float32Array;
  /** 0/1. */
  masks: Float32Array;
  /** 0/1; null when the split has no ignored pixels at all. */
  ignore: Float32Array | null;
  /** The chunks' records, with the augmentation drawn (alpha, transform, cropX, cropY) when there was one. */
  info: ChunkInfo[];
}

export interface BatchOptions {
  batch: number;
  seed: number;
  epoch: number;
  /** First batch index, for resuming (default 0). */
  start?: number;
  /** Default true for train, false otherwise. */
  shuffle?: boolean;
  /** Random crop side, a multiple of 4 ≤ patch (default: the whole patch). */
  crop?: number;
  /** Share of crops placed over a CR pixel (default 0: uniform). */
  crShare?: number;
  /** α range for image += α·sky; default [−0.9, 3] for train, false otherwise. */
  sky?: [number, number] | false;
  /** Random flips and 90° rotations (default false). */
  flips?: boolean;
  /** Leave out a last, smaller batch (default false). */
  dropLast?: boolean;
}

export interface DatasetChunk {
  image: Float32Array;
  mask: Uint8Array;
  ignore: Uint8Array | null;
  info: ChunkInfo;
}

type ShardReader = (file: string) => Promise<Uint8Array>;

const PAPER_SKY: [number, number] = [-0.9, 3];

export class Dataset {
  readonly patch: number;
  private readonly cache: { key: string; data: Promise<ShardData> }[] = [];
  /** Shard start offsets per split (chunk index of each shard's first chunk). */
  private readonly starts: Record<SplitName, number[]>;

  private constructor(readonly manifest: Manifest, private readonly read: ShardReader, readonly where: string) {
    this.patch = manifest.patch;
    const starts = {} as Record<SplitName, number[]>;
    for (const s of SPLITS) {
      let at = 0;
      starts[s] = manifest.splits[s].shards.map((sh) => (at += sh.chunks) - sh.chunks);
    }
    this.starts = starts;
  }

  /** Opens `<dir>/dataset.json` (Deno): validates it and checks that every shard it lists exists. */
  static async open(dir: string): Promise<Dataset> {
    const file = `${dir.replace(/\/+$/, "")}/dataset.json`;
    let text: string;
    try {
      text = await Deno.readTextFile(file);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) {
        const isDir = await Deno.stat(dir).then((s) => s.isDirectory, () => false);
        throw new DatasetError(file, isDir ? "no such file: not a crgpu dataset directory" : "no such directory");
      }
      throw new DatasetError(file, `cannot read: ${e instanceof Error ? e.message : e}`);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new DatasetError(file, `corrupted: not valid JSON (${e instanceof Error ? e.message : e})`);
    }
    const manifest = validateManifest(json, file);
    const root = file.slice(0, -"dataset.json".length);
    for (const s of SPLITS) {
      for (const sh of manifest.splits[s].shards) {
        const ok = await Deno.stat(root + sh.file).then((st) => st.isFile, () => false);
        if (!ok) throw new DatasetError(root + sh.file, `missing: dataset.json lists it in the ${s} split`);
      }
    }
    return new Dataset(manifest, (f) => Deno.readFile(root + f), root);
  }

  /** A dataset held in memory (browser, or straight from synthDataset): shard file name → bytes. */
  static fromMemory(manifest: Manifest, shards: Map<string, Uint8Array>): Dataset {
    const m = validateManifest(manifest, "manifest");
    for (const s of SPLITS) {
      for (const sh of m.splits[s].shards) {
        if (!shards.has(sh.file)) throw new DatasetError(sh.file, `missing: the manifest lists it in the ${s} split`);
      }
    }
    return new Dataset(m, (f) => Promise.resolve(shards.get(f)!), "");
  }

  size(split: SplitName): number {
    return this.split(split).chunks;
  }

  batchCount(split: SplitName, batch: number, dropLast = false): number {
    checkBatch(batch);
    const n = this.size(split);
    return dropLast ? Math.floor(n / batch) : Math.ceil(n / batch);
  }

  /** The epoch's chunk order: indices into the split's chunks (shard start + index in shard). */
  order(split: SplitName, seed: number, epoch: number, shuffle: boolean): Int32Array {
    const shards = this.split(split).shards, starts = this.starts[split];
    const out = new Int32Array(this.size(split));
    const shardOrder = shuffle
      ? permutation(shards.length, rngFor(seed, epoch, SALT.shardOrder))
      : Int32Array.from(shards, (_, i) => i);
    let at = 0;
    for (const s of shardOrder) {
      const n = shards[s].chunks;
      const within = shuffle ? permutation(n, rngFor(seed, epoch, SALT.chunkOrder, s)) : null;
      for (let j = 0; j < n; j++) out[at++] = starts[s] + (within ? within[j] : j);
    }
    return out;
  }

  async *batches(split: SplitName, opts: BatchOptions): AsyncIterable<Batch> {
    const train = split === "train";
    const { batch, seed, epoch } = opts;
    checkBatch(batch);
    for (const [k, v] of [["seed", seed], ["epoch", epoch]] as const) {
      if (!Number.isInteger(v) || v < 0) {
        throw new DatasetError("Dataset.batches", `${k} must be an integer ≥ 0 (got ${v})`);
      }
    }
    const crop = opts.crop ?? this.patch;
    if (!Number.isInteger(crop) || crop < 4 || crop % 4 !== 0 || crop > this.patch) {
      throw new DatasetError("Dataset.batches", `crop must be a multiple of 4 in 4…${this.patch} (got ${crop})`);
    }
    const sky = opts.sky === undefined ? (train ? PAPER_SKY : false) : opts.sky;
    if (sky && !(Number.isFinite(sky[0]) && Number.isFinite(sky[1]) && sky[0] <= sky[1])) {
      throw new DatasetError("Dataset.batches", `sky must be [lo, hi] with lo ≤ hi (got ${JSON.stringify(sky)})`);
    }
    const crShare = opts.crShare ?? 0;
    if (!(crShare >= 0 && crShare <= 1)) {
      throw new DatasetError("Dataset.batches", `crShare must be in [0, 1] (got ${crShare})`);
    }
    const aug: AugmentOptions = { crop, flips: opts.flips ?? false, sky, crShare };
    const augmenting = crop !== this.patch || aug.flips || sky !== false;
    const total = this.batchCount(split, batch, opts.dropLast);
    const start = opts.start ?? 0;
    if (!Number.isInteger(start) || start < 0 || start > total) {
      throw new DatasetError("Dataset.batches", `start must be an integer in 0…${total} (got ${start})`);
    }
    const order = this.order(split, seed, epoch, opts.shuffle ?? train);
    const hasIgnore = this.split(split).shards.some((s) => s.ignore);
    const n = this.size(split);
    for (let b = start; b < total; b++) {
      const from = b * batch, to = Math.min(n, from + batch), count = to - from;
      const px = crop * crop;
      const out = {
        images: new Float32Array(count * px),
        masks: new Float32Array(count * px),
        ignore: hasIgnore ? new Float32Array(count * px) : null,
      };
      const info: ChunkInfo[] = [];
      for (let k = 0; k < count; k++) {
        const c = await this.chunk(split, order[from + k]);
        const a = drawAugment(rngFor(seed, epoch, SALT.augment, from + k), this.patch, aug, c.mask);
        applyAugment(a, this.patch, crop, { ...c, sky: c.skyLevel }, out, k * px);
        info.push(
          augmenting
            ? { ...c.info, alpha: a.alpha, transform: a.transform, cropX: a.cropX, cropY: a.cropY }
            : { ...c.info },
        );
      }
      yield { n: count, size: crop, ...out, info };
    }
  }

  /** Every chunk of a split in stored order, unaugmented (for evaluation). */
  async *chunks(split: SplitName): AsyncIterable<DatasetChunk> {
    for (let i = 0; i < this.size(split); i++) {
      const { image, mask, ignore, info } = await this.chunk(split, i);
      yield { image, mask, ignore, info };
    }
  }

  private split(split: SplitName) {
    const s = this.manifest.splits[split];
    if (!s) throw new DatasetError("Dataset", `no split '${split}' (splits: ${SPLITS.join(", ")})`);
    return s;
  }

  /** Chunk `index` of a split (copies of its arrays). */
  private async chunk(split: SplitName, index: number) {
    const starts = this.starts[split];
    let s = starts.length - 1;
    while (starts[s] > index) s--; // shards are few; consecutive calls hit the same one
    const entry = this.split(split).shards[s];
    const data = await this.shard(entry.file, entry.chunks);
    const j = index - starts[s], px = this.patch * this.patch;
    return {
      image: data.images.slice(j * px, (j + 1) * px),
      mask: data.masks.slice(j * px, (j + 1) * px),
      ignore: data.ignore ? data.ignore.slice(j * px, (j + 1) * px) : null,
      skyLevel: data.sky[j],
      info: entry.info[j],
    };
  }

  /** A decoded shard; the two most recently used are kept. */
  private shard(file: string, n: number): Promise<ShardData> {
    const hit = this.cache.findIndex((c) => c.key === file);
    if (hit >= 0) {
      const [c] = this.cache.splice(hit, 1);
      this.cache.unshift(c);
      return c.data;
    }
    const label = this.where + file;
    const data = this.read(file).then(
      (bytes) => decodeShard(bytes, label, this.patch, n),
      (e) => {
        const notFound = typeof Deno !== "undefined" && e instanceof Deno.errors.NotFound;
        const why = notFound ? "missing" : `cannot read (${e instanceof Error ? e.message : e})`;
        throw new DatasetError(label, why);
      },
    );
    this.cache.unshift({ key: file, data });
    if (this.cache.length > 2) this.cache.pop();
    return data;
  }
}

function checkBatch(batch: number): void {
  if (!Number.isInteger(batch) || batch < 1) {
    throw new DatasetError("Dataset.batches", `batch must be a positive integer (got ${batch})`);
  }
}
