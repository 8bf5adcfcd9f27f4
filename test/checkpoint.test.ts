// PyTorch checkpoint reader: the five published checkpoints in ../shared (when present), small fixtures made by
// test/fixtures/checkpoint/make_fixtures.py, and hostile or malformed archives built here.
import { describe, expect, it } from "vitest";
import { loadPth } from "../src/nn/checkpoint/pth.ts";
import { readZip, writeZip } from "../src/nn/checkpoint/zip.ts";
import type { StateDict, TensorData } from "../src/nn/checkpoint/types.ts";

const shared = new URL("../../shared/", import.meta.url);
const fixtures = new URL("./fixtures/checkpoint/", import.meta.url);
const haveShared = (() => {
  try {
    return Deno.statSync(new URL("models/", shared)).isDirectory;
  } catch {
    return false;
  }
})();
if (!haveShared) console.warn(`checkpoint tests: ${shared.pathname} is absent; skipping the published checkpoints`);

const read = (url: URL) => Deno.readFile(url);
const floats = (t: TensorData | undefined): number[] => Array.from(t!.data as Float32Array);

// Computed by test/fixtures/checkpoint/expected_pth.py: Python's zipfile + a pickle.Unpickler with stand-in
// globals + struct on the raw storage bytes (no torch). `sum` adds every element of every key in float64.
const PUBLISHED = [
  {
    file: "paper/deepcr.pth",
    keys: 76,
    elements: 468523,
    sum: 343525434.2617638,
    prefix: "module.",
    first: [0.3425092101097107, 0.9866563081741333, -0.4920959770679474],
    lastBias: 3.241806983947754,
    up2: [-0.12369487434625626, -0.024122942239046097],
    shared: "inc.conv.conv.1.running_var",
  },
  {
    file: "paper/att_deepcr.pth",
    keys: 118,
    elements: 474187,
    sum: 394305749.0047047,
    prefix: "module.",
    first: [-0.434990793466568, -1.5667327642440796, 0.11917997896671295],
    lastBias: -0.3459949791431427,
    up2: [-0.13861657679080963, -0.00018320251547265798],
    shared: "inc.conv.conv.1.running_var",
  },
  {
    file: "paper/cosmic_conn.pth",
    keys: 26,
    elements: 465953,
    sum: -31601.965711925375,
    prefix: "module.",
    first: [-0.8565067052841187, 0.013530888594686985, 0.11267362534999847],
    lastBias: 0.5935247540473938,
    up2: [0.6139958500862122, 0.6378013491630554],
    shared: null,
  },
  {
    file: "paper/att_cosmic_conn.pth",
    keys: 38,
    elements: 471219,
    sum: -24896.86833900706,
    prefix: "module.",
    first: [0.6424251794815063, -1.0160311460494995, 0.463285893201828],
    lastBias: -0.4811953902244568,
    up2: [-0.03546328470110893, 1.117083191871643],
    shared: null,
  },
  {
    file: "cosmic-conn/ground_imaging.pth",
    keys: 46,
    elements: 467233,
    sum: -9537.810257472887,
    prefix: "",
    first: [0.2536046802997589, -0.8782243728637695, 0.052427105605602264],
    lastBias: -0.12050864100456238,
    up2: [-0.015765778720378876, -0.06753258407115936],
    shared: "inc.conv.conv.1.weight",
  },
];

describe.skipIf(!haveShared)("published checkpoints", () => {
  for (const c of PUBLISHED) {
    it(c.file, async () => {
      const sd = await loadPth(await read(new URL(`models/${c.file}`, shared)), c.file);
      expect(sd.size).toBe(c.keys);
      let elements = 0;
      let sum = 0;
      for (const [name, t] of sd) {
        expect(t.dtype, name).toBe("float32");
        expect(t.data.length, name).toBe(t.shape.reduce((a, b) => a * b, 1));
        elements += t.data.length;
        for (const v of t.data as Float32Array) sum += v;
      }
      expect(elements).toBe(c.elements);
      expect(Math.abs(sum - c.sum)).toBeLessThan(1e-9 * Math.abs(c.sum));
      const names = [...sd.keys()];
      expect(names[0]).toBe(`${c.prefix}inc.conv.conv.0.weight`);
      expect(names.at(-1)).toBe(`${c.prefix}outc.conv.bias`);
      const first = sd.get(`${c.prefix}inc.conv.conv.0.weight`)!;
      expect(first.shape).toEqual([32, 1, 3, 3]);
      expect(floats(first).slice(0, 3)).toEqual(c.first);
      expect(floats(sd.get(`${c.prefix}outc.conv.bias`))).toEqual([c.lastBias]);
      const up2 = sd.get(`${c.prefix}up2.up_conv.weight`)!;
      expect(up2.shape).toEqual([128, 64, 2, 2]);
      expect([up2.data[12345], up2.data[32767]]).toEqual(c.up2);
      if (c.shared) {
        // One norm module used twice in each block: saved under both names, with the same values.
        const again = c.shared.replace("conv.conv.1.", "conv.conv.4.");
        expect(floats(sd.get(c.prefix + again))).toEqual(floats(sd.get(c.prefix + c.shared)));
      }
    });
  }

  it("refuses the real file truncated to 1000 bytes and with its last byte removed", async () => {
    const bytes = await read(new URL("models/paper/deepcr.pth", shared));
    await expect(loadPth(bytes.slice(0, 1000), "deepcr.pth")).rejects.toThrow(/deepcr\.pth: zip archive is truncated/);
    await expect(loadPth(bytes.slice(0, -1), "deepcr.pth")).rejects.toThrow(/deepcr\.pth: zip archive is truncated/);
  });
});

function checkTiny(sd: StateDict) {
  expect([...sd.keys()]).toEqual(["w", "wt", "bn.num_batches_tracked", "longs", "h", "d"]);
  expect(sd.get("w")).toEqual({ shape: [2, 3], dtype: "float32", data: new Float32Array([2, 3.5, -4, 5.75, 6, -7.5]) });
  expect(sd.get("wt")).toEqual({
    shape: [3, 2],
    dtype: "float32",
    data: new Float32Array([2, 5.75, 3.5, 6, -4, -7.5]),
  });
  const steps = sd.get("bn.num_batches_tracked")!;
  expect(steps).toEqual({ shape: [], dtype: "int64", data: new BigInt64Array([123456789012n]) });
  expect(sd.get("longs")!.data).toEqual(new BigInt64Array([-5n, 2n ** 40n]));
  expect(sd.get("h")).toEqual({
    shape: [2, 2],
    dtype: "float32",
    storedAs: "float16",
    data: new Float32Array([1, -2.5, 65504, 2 ** -24]),
  });
  expect(sd.get("d")).toEqual({ shape: [1], dtype: "float64", data: new Float64Array([Math.PI]) });
}

describe("fixtures made by make_fixtures.py", () => {
  it("protocol 2, DEFLATE entries, a 'tiny/' root, offsets, a transposed view, int64, half, double", async () => {
    checkTiny(await loadPth(await read(new URL("tiny.pth", fixtures)), "tiny.pth"));
  });
  it("protocol 4 (FRAME, SHORT_BINUNICODE, MEMOIZE, STACK_GLOBAL), STORED entries", async () => {
    checkTiny(await loadPth(await read(new URL("tiny_proto4.pth", fixtures)), "tiny_proto4.pth"));
  });
  it("refuses the fixture truncated anywhere", async () => {
    const bytes = await read(new URL("tiny.pth", fixtures));
    for (const keep of [0, 10, 200, 1000, bytes.length - 23, bytes.length - 1]) {
      await expect(loadPth(bytes.slice(0, keep), "cut.pth"), `${keep} bytes`).rejects.toThrow(/^cut\.pth: /);
    }
  });
  it("refuses a corrupted storage (CRC-32)", async () => {
    const bytes = await read(new URL("tiny_proto4.pth", fixtures));
    bytes[readZip(bytes, "tiny_proto4.pth").entries.get("archive/data/0")!.dataOffset + 5] ^= 0x40;
    await expect(loadPth(bytes, "bad.pth")).rejects.toThrow(/bad\.pth: entry archive\/data\/0 fails its CRC-32 check/);
  });
});

// --- hand-assembled pickles --------------------------------------------------------------------------------------

type Part = string | number[] | Uint8Array;
/** Concatenates opcodes: strings are taken byte by byte (latin-1), arrays are raw bytes. */
function pk(...parts: Part[]): Uint8Array {
  const chunks = parts.map((p) =>
    typeof p === "string" ? Uint8Array.from(p, (c) => c.charCodeAt(0)) : Uint8Array.from(p)
  );
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  chunks.reduce((at, c) => (out.set(c, at), at + c.length), 0);
  return out;
}
const u32 = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];
const str = (s: string): Part[] => ["X", u32(new TextEncoder().encode(s).length), new TextEncoder().encode(s)];
const int = (n: number): Part => n < 256 ? ["K".charCodeAt(0), n] : ["J".charCodeAt(0), ...u32(n)];
const tuple = (xs: number[]): Part[] => ["(", ...xs.map(int), "t"];

interface FakeTensor {
  type?: string;
  key?: string;
  numel: number;
  offset?: number;
  shape: number[];
  stride: number[];
}
/** The pickle torch.save writes for OrderedDict([("w", tensor)]), protocol 2. */
function statePickle(t: FakeTensor): Uint8Array {
  return pk(
    "\x80\x02ccollections\nOrderedDict\nq\x00)R(",
    ...str("w"),
    "ctorch._utils\n_rebuild_tensor_v2\n((",
    ...str("storage"),
    `ctorch\n${t.type ?? "FloatStorage"}\n`,
    ...str(t.key ?? "0"),
    ...str("cpu"),
    int(t.numel),
    "tQ",
    int(t.offset ?? 0),
    ...tuple(t.shape),
    ...tuple(t.stride),
    "\x89h\x00)Rt",
    "Ru.",
  );
}
const archive = (pickle: Uint8Array, storages: Record<string, Uint8Array> = {}) =>
  writeZip([
    { name: "archive/data.pkl", data: pickle },
    ...Object.entries(storages).map(([key, data]) => ({ name: `archive/data/${key}`, data })),
  ]);
const floatBytes = (xs: number[]) => new Uint8Array(new Float32Array(xs).buffer);

describe("hand-built archives", () => {
  it("reads a minimal archive, including an int64 num_batches_tracked", async () => {
    const f = await loadPth(
      archive(statePickle({ numel: 3, shape: [3], stride: [1] }), { 0: floatBytes([1, 2, 3]) }),
      "a",
    );
    expect(floats(f.get("w"))).toEqual([1, 2, 3]);
    const steps = new Uint8Array(new BigInt64Array([42n]).buffer);
    const l = await loadPth(
      archive(statePickle({ type: "LongStorage", numel: 1, shape: [], stride: [] }), { 0: steps }),
      "b",
    );
    expect(l.get("w")).toEqual({ shape: [], dtype: "int64", data: new BigInt64Array([42n]) });
  });

  const refusals: [string, Uint8Array, RegExp][] = [
    ["non-zip bytes", new TextEncoder().encode("this is not a checkpoint at all, just text"), /not a zip archive/],
    ["an empty file", new Uint8Array(0), /not a zip archive/],
    ["a legacy (pre-1.6) pickle file", pk("\x80\x02\x8a\x0a"), /legacy .*not supported/],
    ["a zip without data.pkl", writeZip([{ name: "archive/version", data: pk("3\n") }]), /no data\.pkl/],
    [
      "GLOBAL os system + REDUCE",
      archive(pk("\x80\x02cos\nsystem\n", ...str("echo pwned"), "\x85R.")),
      /refusing global os\.system/,
    ],
    [
      "GLOBAL posix system",
      archive(pk("\x80\x02cposix\nsystem\n", ...str("id"), "\x85R.")),
      /refusing global posix\.system/,
    ],
    [
      "GLOBAL builtins eval",
      archive(pk("\x80\x02cbuiltins\neval\n", ...str("1+1"), "\x85R.")),
      /refusing global builtins\.eval/,
    ],
    [
      "STACK_GLOBAL subprocess Popen",
      archive(pk("\x80\x04\x8c\x0asubprocess\x8c\x05Popen\x93", ...str("sh"), "\x85R.")),
      /refusing global subprocess\.Popen/,
    ],
    [
      "an allow-listed storage type called",
      archive(pk("\x80\x02ctorch\nFloatStorage\n)R.")),
      /torch\.FloatStorage may not be called/,
    ],
    ["the INST opcode", archive(pk("\x80\x02(ios\nsystem\n.")), /opcode 0x69 \("i"\) is not supported/],
    ["an unknown opcode", archive(pk("\x80\x02}\xff.")), /opcode 0xff .* is not supported/],
    [
      "a truncated pickle",
      archive(pk("\x80\x02X\xff\x00\x00\x00abc")),
      /BINUNICODE at byte 2: the pickle is truncated/,
    ],
    ["a top level that is not a dict", archive(pk("\x80\x02K\x05.")), /holds number 5, not a state_dict/],
    [
      "a storage key with no data entry",
      archive(statePickle({ key: "7", numel: 3, shape: [3], stride: [1] }), { 0: floatBytes([1, 2, 3]) }),
      /storage 7, but archive\/data\/7 is missing/,
    ],
    [
      "a tensor reaching past the end of its storage",
      archive(statePickle({ numel: 3, offset: 1, shape: [3], stride: [1] }), { 0: floatBytes([1, 2, 3]) }),
      /tensor w: .* reach element 3, past the end of its 3-element storage 0/,
    ],
    [
      "strides reaching past the end of the storage",
      archive(statePickle({ numel: 4, shape: [2, 2], stride: [1, 3] }), { 0: floatBytes([1, 2, 3, 4]) }),
      /past the end of its 4-element storage/,
    ],
    [
      "a storage shorter than its declared numel",
      archive(statePickle({ numel: 100, shape: [3], stride: [1] }), { 0: floatBytes([1, 2, 3]) }),
      /storage 0 has 12 bytes, but its header says 100 × 4/,
    ],
    [
      "sizes and strides of different lengths",
      archive(statePickle({ numel: 3, shape: [3], stride: [1, 1] }), { 0: floatBytes([1, 2, 3]) }),
      /1 sizes but 2 strides/,
    ],
  ];
  for (const [what, bytes, message] of refusals) {
    it(`refuses ${what}`, async () => {
      const error = await loadPth(bytes, "hostile.pth").then(() => null, (e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toMatch(/^hostile\.pth: /);
      expect((error as Error).message).toMatch(message);
    });
  }
});
