// Minimal zip archive reader (and a STORED-only writer): what torch.save produces. Every offset and size read
// from the file is checked against the buffer before it is used; entry contents are checked against their CRC-32.
import { CheckpointError } from "./types.ts";

export interface ZipEntry {
  name: string;
  /** 0 = stored, 8 = deflate. */
  method: number;
  compressedSize: number;
  size: number;
  crc32: number;
  /** Where the entry's (compressed) bytes start in the archive. */
  dataOffset: number;
}

export interface ZipArchive {
  fileName: string;
  /** In central-directory order. */
  entries: Map<string, ZipEntry>;
  /** The entry's contents. A stored entry is returned as a view into the archive buffer (no copy). */
  read(name: string): Promise<Uint8Array>;
}

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_END = 0x06054b50;
const SIG_END64 = 0x06064b50;
const SIG_END64_LOCATOR = 0x07064b50;
const END_SIZE = 22;

/** Parses the central directory of a zip archive held in memory. */
export function readZip(bytes: Uint8Array, fileName: string): ZipArchive {
  const fail = (message: string): never => {
    throw new CheckpointError(fileName, message);
  };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (at: number) => view.getUint16(at, true);
  const u32 = (at: number) => view.getUint32(at, true);
  const u64 = (at: number) => {
    const v = view.getBigUint64(at, true);
    return v > BigInt(Number.MAX_SAFE_INTEGER) ? fail(`zip64 field at byte ${at} is too large`) : Number(v);
  };
  const need = (at: number, length: number, what: string) => {
    if (at < 0 || length < 0 || at + length > bytes.length) {
      fail(`${what} (bytes ${at}..${at + length}) lies outside the ${bytes.length}-byte file: truncated or corrupt`);
    }
  };

  const end = findEnd(bytes, view, fail);
  if (u16(end + 4) !== 0 || u16(end + 6) !== 0) fail("multi-disk zip archives are not supported");
  let count = u16(end + 10);
  let cdSize = u32(end + 12);
  let cdOffset = u32(end + 16);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    // ZIP64: the real values are in the zip64 end record, found through the locator just before the end record.
    const locator = end - 20;
    need(locator, 20, "zip64 end-of-central-directory locator");
    if (u32(locator) !== SIG_END64_LOCATOR) fail("zip64 end-of-central-directory locator is missing");
    const end64 = u64(locator + 8);
    need(end64, 56, "zip64 end-of-central-directory record");
    if (u32(end64) !== SIG_END64) fail("zip64 end-of-central-directory record is missing");
    count = u64(end64 + 32);
    cdSize = u64(end64 + 40);
    cdOffset = u64(end64 + 48);
  }
  need(cdOffset, cdSize, "central directory");

  const decoder = new TextDecoder("utf-8", { fatal: true });
  const entries = new Map<string, ZipEntry>();
  let at = cdOffset;
  for (let i = 0; i < count; i++) {
    need(at, 46, `central directory entry ${i}`);
    if (u32(at) !== SIG_CENTRAL) fail(`central directory entry ${i} has a bad signature`);
    const flags = u16(at + 8);
    const method = u16(at + 10);
    const crc32 = u32(at + 16);
    let compressedSize = u32(at + 20);
    let size = u32(at + 24);
    const nameLength = u16(at + 28);
    const extraLength = u16(at + 30);
    const commentLength = u16(at + 32);
    let localOffset = u32(at + 42);
    need(at + 46, nameLength + extraLength + commentLength, `central directory entry ${i}`);
    let name = "";
    try {
      name = decoder.decode(bytes.subarray(at + 46, at + 46 + nameLength));
    } catch {
      fail(`central directory entry ${i} has a name that is not UTF-8`);
    }
    if (flags & 1) fail(`entry ${name} is encrypted`);
    // ZIP64 extra field: 64-bit values for exactly those fields saturated at 0xffffffff, in this order.
    const zip64 = findExtra(view, at + 46 + nameLength, extraLength, 0x0001);
    if (zip64 !== null) {
      let p = zip64.start;
      const next = (): number => {
        if (p + 8 > zip64.end) fail(`entry ${name} has a short zip64 extra field`);
        const v = u64(p);
        p += 8;
        return v;
      };
      if (size === 0xffffffff) size = next();
      if (compressedSize === 0xffffffff) compressedSize = next();
      if (localOffset === 0xffffffff) localOffset = next();
    }
    if (entries.has(name)) fail(`entry ${name} appears twice`);

    // torch.save sets the data-descriptor flag, so the local header's sizes are zero: the central ones count.
    need(localOffset, 30, `local header of ${name}`);
    if (u32(localOffset) !== SIG_LOCAL) fail(`local header of ${name} has a bad signature`);
    const localName = localOffset + 30;
    const dataOffset = localName + u16(localOffset + 26) + u16(localOffset + 28);
    need(localName, u16(localOffset + 26), `local header of ${name}`);
    if (decoder.decode(bytes.subarray(localName, localName + u16(localOffset + 26))) !== name) {
      fail(`local header of ${name} names a different file`);
    }
    need(dataOffset, compressedSize, `data of ${name}`);
    if (dataOffset + compressedSize > cdOffset) fail(`data of ${name} overlaps the central directory`);
    if (method === 0 && compressedSize !== size) fail(`stored entry ${name} has different compressed and plain sizes`);
    entries.set(name, { name, method, compressedSize, size, crc32, dataOffset });
    at += 46 + nameLength + extraLength + commentLength;
  }

  const read = async (name: string): Promise<Uint8Array> => {
    const entry = entries.get(name) ?? fail(`has no entry ${name}`);
    const raw = bytes.subarray(entry.dataOffset, entry.dataOffset + entry.compressedSize);
    let data: Uint8Array;
    if (entry.method === 0) data = raw;
    else if (entry.method === 8) data = await inflate(raw, entry.size, () => fail(`entry ${name} does not inflate`));
    else {return fail(
        `entry ${name} uses compression method ${entry.method}; only stored (0) and deflate (8) are supported`,
      );}
    if (data.length !== entry.size) fail(`entry ${name} inflates to ${data.length} bytes, not ${entry.size}`);
    if (crc32(data) !== entry.crc32) fail(`entry ${name} fails its CRC-32 check: corrupt`);
    return data;
  };
  return { fileName, entries, read };
}

/** Offset of the end-of-central-directory record: the one whose comment ends exactly at the end of the file. */
function findEnd(bytes: Uint8Array, view: DataView, fail: (m: string) => never): number {
  let cut = false;
  const stop = Math.max(0, bytes.length - END_SIZE - 0xffff);
  for (let at = bytes.length - 4; at >= stop; at--) {
    if (view.getUint32(at, true) !== SIG_END) continue;
    if (at + END_SIZE > bytes.length) {
      cut = true;
      continue;
    }
    const end = at + END_SIZE + view.getUint16(at + 20, true);
    if (end === bytes.length) return at;
    if (end > bytes.length) cut = true;
  }
  const startsLikeZip = bytes.length >= 4 && view.getUint32(0, true) === SIG_LOCAL;
  if (cut || startsLikeZip) {
    return fail("zip archive is truncated (its end-of-central-directory record is cut off or missing)");
  }
  return fail("not a zip archive (no end-of-central-directory record)");
}

/** The extra-field block with the given id inside [start, start + length), or null. */
function findExtra(view: DataView, start: number, length: number, id: number): { start: number; end: number } | null {
  let p = start;
  while (p + 4 <= start + length) {
    const size = view.getUint16(p + 2, true);
    if (view.getUint16(p, true) === id) return { start: p + 4, end: Math.min(p + 4 + size, start + length) };
    p += 4 + size;
  }
  return null;
}

/** Raw DEFLATE via the platform's DecompressionStream, stopping once the output exceeds the declared size. */
async function inflate(raw: Uint8Array, size: number, fail: () => never): Promise<Uint8Array> {
  const out = new Uint8Array(size);
  let filled = 0;
  const input = new Blob([raw.slice()]).stream().pipeThrough(new DecompressionStream("deflate-raw"));
  const reader = input.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (filled + value.length > size) {
        await reader.cancel();
        return fail(); // larger than declared: corrupt, or a decompression bomb
      }
      out.set(value, filled);
      filled += value.length;
    }
  } catch (e) {
    if (e instanceof CheckpointError) throw e;
    return fail();
  }
  return out.subarray(0, filled);
}

let crcTable: Uint32Array | null = null;

/** CRC-32 (the zip/PNG polynomial 0xEDB88320). */
export function crc32(data: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = crcTable[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Writes a zip archive with every entry STORED (no compression), as torch.save does; for exports and tests. */
export function writeZip(files: readonly { name: string; data: Uint8Array }[]): Uint8Array {
  if (files.length > 0xffff) throw new Error("writeZip: more than 65535 entries needs ZIP64, which it does not write");
  const encoder = new TextEncoder();
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const file of files) {
    if (offset + file.data.length > 0xffffffff) throw new Error("writeZip: archives over 4 GiB need ZIP64");
    const name = encoder.encode(file.name);
    const crc = crc32(file.data);
    const local = header(30 + name.length, (v) => {
      v.setUint32(0, SIG_LOCAL, true);
      v.setUint16(4, 20, true); // version needed: 2.0
      v.setUint16(6, 0x0800, true); // UTF-8 names
      v.setUint32(14, crc, true);
      v.setUint32(18, file.data.length, true);
      v.setUint32(22, file.data.length, true);
      v.setUint16(26, name.length, true);
    });
    local.set(name, 30);
    const entry = header(46 + name.length, (v) => {
      v.setUint32(0, SIG_CENTRAL, true);
      v.setUint16(4, 20, true);
      v.setUint16(6, 20, true);
      v.setUint16(8, 0x0800, true);
      v.setUint32(16, crc, true);
      v.setUint32(20, file.data.length, true);
      v.setUint32(24, file.data.length, true);
      v.setUint16(28, name.length, true);
      v.setUint32(42, offset, true);
    });
    entry.set(name, 46);
    parts.push(local, file.data);
    central.push(entry);
    offset += local.length + file.data.length;
  }
  const cdSize = central.reduce((s, c) => s + c.length, 0);
  const end = header(END_SIZE, (v) => {
    v.setUint32(0, SIG_END, true);
    v.setUint16(8, files.length, true);
    v.setUint16(10, files.length, true);
    v.setUint32(12, cdSize, true);
    v.setUint32(16, offset, true);
  });
  const out = new Uint8Array(offset + cdSize + END_SIZE);
  let p = 0;
  for (const part of [...parts, ...central, end]) {
    out.set(part, p);
    p += part.length;
  }
  return out;
}

function header(length: number, fill: (v: DataView) => void): Uint8Array {
  const bytes = new Uint8Array(length);
  fill(new DataView(bytes.buffer));
  return bytes;
}
