// Writing a dataset split by split into shards of ≤ 64 chunks, to a directory or to memory. Train and val chunks are
// scattered over their shards by a seeded permutation, so that every shard (and so every batch the loader draws
// from one or two shards) mixes chunks of many frames; on disk, chunks wait in per-shard spill files until the end,
// so memory stays bounded by one shard. Test chunks keep their order (frame by frame, row by row).
import { DatasetError } from "./errors.ts";
import { type ChunkInfo, emptyManifest, type Manifest, SHARD_CHUNKS, type SplitName } from "./manifest.ts";
import { permutation, rngFor, SALT } from "./random.ts";
import { encodeShard } from "./shard.ts";

export interface Chunk {
  image: Float32Array;
  mask: Uint8Array;
  ignore: Uint8Array | null;
  info: ChunkInfo;
}

interface Pending {
  slot: number;
  chunk: Chunk;
}

/** Where shards go: a directory (with a spill folder) or a Map. */
export interface ShardSink {
  write(file: string, bytes: Uint8Array): Promise<void>;
  /** Spill storage for chunks waiting for their shard; null keeps them in memory. */
  spill: SpillStore | null;
}

export interface SpillStore {
  append(key: string, bytes: Uint8Array): Promise<void>;
  take(key: string): Promise<Uint8Array | null>;
  close(): Promise<void>;
}

export function memorySink(shards: Map<string, Uint8Array>): ShardSink {
  return { write: (file, bytes) => Promise.resolve(void shards.set(file, bytes)), spill: null };
}

export function directorySink(dir: string): ShardSink {
  const spillDir = `${dir}/.spill`;
  const files = new Set<string>();
  return {
    write: (file, bytes) => Deno.writeFile(`${dir}/${file}`, bytes),
    spill: {
      async append(key, bytes) {
        if (files.size === 0) await Deno.mkdir(spillDir, { recursive: true });
        files.add(key);
        await Deno.writeFile(`${spillDir}/${key}`, bytes, { append: true });
      },
      async take(key) {
        if (!files.has(key)) return null;
        const bytes = await Deno.readFile(`${spillDir}/${key}`);
        await Deno.remove(`${spillDir}/${key}`);
        files.delete(key);
        return bytes;
      },
      async close() {
        await Deno.remove(spillDir, { recursive: true }).catch(() => {});
      },
    },
  };
}

/** Spill record: slot, flags, image, mask, [ignore]; info stays in memory. */
function encodeRecord(slot: number, c: Chunk): Uint8Array {
  const px = c.mask.length;
  const size = 8 + px * 4 + px + (c.ignore ? px : 0);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint32(0, slot, true);
  view.setUint32(4, c.ignore ? 1 : 0, true);
  out.set(new Uint8Array(c.image.buffer, c.image.byteOffset, px * 4), 8);
  out.set(c.mask, 8 + px * 4);
  if (c.ignore) out.set(c.ignore, 8 + px * 5);
  return out;
}

function decodeRecords(bytes: Uint8Array, px: number, infos: Map<number, ChunkInfo>): Pending[] {
  const out: Pending[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = 0; at < bytes.length;) {
    const slot = view.getUint32(at, true), hasIgnore = view.getUint32(at + 4, true) === 1;
    const image = new Float32Array(bytes.slice(at + 8, at + 8 + px * 4).buffer);
    const mask = bytes.slice(at + 8 + px * 4, at + 8 + px * 5);
    const ignore = hasIgnore ? bytes.slice(at + 8 + px * 5, at + 8 + px * 6) : null;
    out.push({ slot, chunk: { image, mask, ignore, info: infos.get(slot)! } });
    at += 8 + px * (hasIgnore ? 6 : 5);
  }
  return out;
}

/** Writes one split. `planned`: how many chunks will be offered (a dropped one is offered as `add(null)`). */
export class SplitWriter {
  private readonly slots: Int32Array;
  private readonly pending = new Map<number, Pending[]>();
  private readonly spilledInfo = new Map<number, ChunkInfo>();
  private readonly received: number[];
  private offered = 0;
  private written = 0;
  private readonly scatter: boolean;

  constructor(
    readonly split: SplitName,
    readonly patch: number,
    readonly planned: number,
    private readonly sink: ShardSink,
    private readonly manifest: Manifest,
    seed: number,
    scatter: boolean,
  ) {
    const p = scatter
      ? permutation(planned, rngFor(seed, SALT.scatter, ["train", "val", "test"].indexOf(split)))
      : null;
    this.slots = p ?? Int32Array.from({ length: planned }, (_, i) => i);
    this.received = new Array(Math.ceil(planned / SHARD_CHUNKS)).fill(0);
    this.scatter = scatter;
  }

  private expected(shard: number): number {
    return Math.min(SHARD_CHUNKS, this.planned - shard * SHARD_CHUNKS);
  }

  /** Offers the next chunk (null: this position was dropped). */
  async add(chunk: Chunk | null): Promise<void> {
    if (this.offered >= this.planned) {
      throw new DatasetError(this.split, `more chunks than the ${this.planned} planned (a builder bug)`);
    }
    const slot = this.slots[this.offered++];
    const shard = Math.floor(slot / SHARD_CHUNKS);
    this.received[shard]++;
    if (chunk) {
      if (chunk.image.length !== this.patch * this.patch) {
        throw new DatasetError(this.split, `chunk of ${chunk.image.length} pixels, expected ${this.patch}²`);
      }
      const spill = this.scatter ? this.sink.spill : null;
      if (spill) {
        this.spilledInfo.set(slot, chunk.info);
        await spill.append(`${this.split}-${shard}`, encodeRecord(slot, chunk));
      } else {
        const list = this.pending.get(shard) ?? [];
        list.push({ slot, chunk });
        this.pending.set(shard, list);
      }
    }
    if (!this.scatter && this.received[shard] === this.expected(shard)) await this.flush(shard);
  }

  private async flush(shard: number): Promise<void> {
    let list = this.pending.get(shard) ?? [];
    this.pending.delete(shard);
    const spilled = await this.sink.spill?.take(`${this.split}-${shard}`);
    if (spilled) list = list.concat(decodeRecords(spilled, this.patch * this.patch, this.spilledInfo));
    for (const p of list) this.spilledInfo.delete(p.slot);
    if (list.length === 0) return;
    list.sort((a, b) => a.slot - b.slot);
    const n = list.length, px = this.patch * this.patch;
    const images = new Float32Array(n * px), masks = new Uint8Array(n * px), sky = new Float32Array(n);
    const anyIgnore = list.some((p) => p.chunk.ignore);
    const ignore = anyIgnore ? new Uint8Array(n * px) : null;
    list.forEach(({ chunk }, k) => {
      images.set(chunk.image, k * px);
      masks.set(chunk.mask, k * px);
      if (ignore && chunk.ignore) ignore.set(chunk.ignore, k * px);
      sky[k] = chunk.info.sky;
    });
    const entry = this.manifest.splits[this.split];
    const file = `${this.split}-${String(entry.shards.length).padStart(4, "0")}.fits`;
    const cards = [
      { key: "SPLIT", value: this.split, comment: "train, val or test" },
      { key: "SHARD", value: entry.shards.length, comment: "shard index in the split" },
    ];
    await this.sink.write(file, encodeShard({ patch: this.patch, n, images, masks, ignore, sky }, cards));
    entry.shards.push({ file, chunks: n, ...(ignore ? { ignore: true } : {}), info: list.map((p) => p.chunk.info) });
    entry.chunks += n;
    this.written += n;
  }

  /** Writes every shard still open; returns the chunks written. */
  async finish(): Promise<number> {
    if (this.offered !== this.planned) {
      throw new DatasetError(this.split, `${this.offered} chunks offered, ${this.planned} planned (a builder bug)`);
    }
    for (let s = 0; s < this.received.length; s++) {
      if (this.pending.has(s) || this.scatter) await this.flush(s);
    }
    return this.written;
  }
}

export { emptyManifest };
