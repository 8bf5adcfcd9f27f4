// FITS reading and writing (CPU only). Expected values come from astropy 5.2.1 via
// test/fixtures/fits/make_fixtures.py, which also wrote the fixtures; the real GMOS frame and the Astro-SCRAPPY
// goldens in ../shared are checked when present.
import { describe, expect, it } from "vitest";
import {
  type FitsCard,
  FitsError,
  type FitsFile,
  FitsHeader,
  readFits,
  readImage,
  writeFits,
} from "../src/data/fits.ts";

const fixtures = new URL("./fixtures/fits/", import.meta.url);
const shared = new URL("../../shared/", import.meta.url);
const haveShared = (() => {
  try {
    return Deno.statSync(new URL("data/gmos.fits", shared)).isFile;
  } catch {
    return false;
  }
})();
if (!haveShared) console.warn(`fits tests: ${shared.pathname} is absent; skipping the GMOS frame and goldens`);

interface Stats {
  width: number;
  height: number;
  sum: number;
  abssum: number;
  wsum: number;
  nan: number;
  pixels: [number, number, number | null][];
}
interface Expected {
  hdus: { index: number; extname: string | null; type: string; bitpix: number; naxis: number[]; isImage: boolean }[];
  images: Record<string, Stats[]>;
  cards: Record<string, [string, FitsCard["value"], string][]>;
}
const expected: Record<string, Expected> = JSON.parse(
  await Deno.readTextFile(new URL("expected.json", fixtures)),
);
const fixtureNames = Object.keys(expected).filter((k) => !k.startsWith("shared:"));
const sharedNames = Object.keys(expected).filter((k) => k.startsWith("shared:")).map((k) => k.slice(7));

const fixtureBytes = (name: string) => Deno.readFile(new URL(name, fixtures));
const open = async (name: string) => await readFits(await fixtureBytes(name), name);

/** Same checksums as make_fixtures.py's image_stats: row-major, NaN excluded, weights (i mod 101) + 1. */
function stats(data: Float32Array | Float64Array) {
  let sum = 0, wsum = 0, nan = 0;
  for (let i = 0; i < data.length; i++) {
    if (Number.isNaN(data[i])) {
      nan++;
    } else {
      sum += data[i];
      wsum += data[i] * ((i % 101) + 1);
    }
  }
  return { sum, wsum, nan };
}

/** Compares with astropy; `rel` is the rounding of the output type (float32: 2^-24 per pixel). */
function expectStats(data: Float32Array | Float64Array, width: number, want: Stats, rel: number, what: string) {
  const got = stats(data);
  expect(width, `${what}: width`).toBe(want.width);
  expect(data.length, `${what}: pixels`).toBe(want.width * want.height);
  expect(got.nan, `${what}: NaN count`).toBe(want.nan);
  expect(Math.abs(got.sum - want.sum), `${what}: sum ${got.sum} vs ${want.sum}`).toBeLessThanOrEqual(
    rel * want.abssum + 1e-9,
  );
  expect(Math.abs(got.wsum - want.wsum), `${what}: weighted sum ${got.wsum} vs ${want.wsum}`).toBeLessThanOrEqual(
    101 * rel * want.abssum + 1e-9,
  );
  for (const [x, y, v] of want.pixels) {
    const g = data[y * width + x];
    const label = `${what}: pixel (${x}, ${y}) = ${g}, astropy ${v}`;
    if (v === null) expect(g, label).toBeNaN();
    else expect(Math.abs(g - v), label).toBeLessThanOrEqual(rel * Math.abs(v));
  }
}

async function expectMatchesAstropy(file: FitsFile, want: Expected) {
  expect(file.hdus.map(({ index, extname, type, bitpix, naxis, isImage }) => ({
    index,
    extname,
    type,
    bitpix,
    naxis,
    isImage,
  }))).toEqual(want.hdus);
  for (const [index, cards] of Object.entries(want.cards)) {
    const got = file.hdus[Number(index)].header.cards.map((c) => [c.key, c.value, c.comment]);
    expect(got, `${file.fileName} HDU ${index} cards`).toEqual(cards);
  }
  for (const [index, planes] of Object.entries(want.images)) {
    for (let plane = 0; plane < planes.length; plane++) {
      const what = `${file.fileName} HDU ${index} plane ${plane}`;
      const opts = planes.length > 1 ? { plane } : {};
      const f32 = await readImage(file, Number(index), opts);
      expect(f32.data).toBeInstanceOf(Float32Array);
      expectStats(f32.data, f32.width, planes[plane], 2 ** -24, `${what} (float32)`);
      const f64 = await readImage(file, Number(index), { ...opts, float64: true });
      expect(f64.data).toBeInstanceOf(Float64Array);
      expectStats(f64.data, f64.width, planes[plane], 1e-15, `${what} (float64)`);
    }
  }
}

/** Rejects with a FitsError whose message names the file and matches `problem`. */
async function expectFitsError(promise: Promise<unknown>, fileName: string, problem: RegExp) {
  const error = await promise.then(() => null, (e: unknown) => e);
  expect(error, `expected a FitsError matching ${problem}`).toBeInstanceOf(FitsError);
  const message = (error as FitsError).message;
  expect(message.startsWith(`${fileName}: `), message).toBe(true);
  expect(message).toMatch(problem);
}

const ascii = (s: string) => new TextEncoder().encode(s);

/** Replaces the header card starting with `prefix` in the first block with `card` (padded to 80). */
function withCard(bytes: Uint8Array, prefix: string, card: string): Uint8Array {
  const out = bytes.slice();
  for (let pos = 0; pos < 2880; pos += 80) {
    if (new TextDecoder().decode(out.subarray(pos, pos + prefix.length)) === prefix) {
      out.set(ascii(card.padEnd(80)), pos);
      return out;
    }
  }
  throw new Error(`no card ${prefix}`);
}

describe("reading, against astropy", () => {
  it.each(fixtureNames)("%s", async (name) => {
    await expectMatchesAstropy(await open(name), expected[name]);
  });

  it("picks the first 2-D image by default, skipping an empty primary (GMOS layout)", async () => {
    const image = await readImage(await open("mef.fits"));
    expect([image.hdu, image.extname, image.width, image.height]).toEqual([1, "SCI", 37, 23]);
    expect(image.header.get("CTYPE1")).toBe("RA---TAN");
  });

  it("finds an HDU by EXTNAME, case-insensitively, and 'PRIMARY' as HDU 0", async () => {
    const file = await open("mef.fits");
    expect((await readImage(file, "dq")).hdu).toBe(3);
    expect((await readImage(file, "VAR")).hdu).toBe(2);
    expect((await readImage(await open("u8.fits"), "PRIMARY")).hdu).toBe(0);
  });

  it("reads a cube with NAXIS3 = 1 as a 2-D image", async () => {
    const image = await readImage(await open("cube1.fits"));
    expect([image.width, image.height]).toEqual([9, 13]);
  });

  it("BLANK marks missing integer pixels as NaN even without BZERO/BSCALE", async () => {
    const image = await readImage(await open("u8_blank.fits"));
    expect(image.data[1 * 37 + 1]).toBeNaN();
  });

  it("header accessors", async () => {
    const { header } = await readImage(await open("i16.fits"));
    expect(header.number("EXPTIME")).toBe(90.5);
    expect(header.number("OBJECT")).toBeUndefined();
    expect(header.string("OBJECT")).toBe("NGC 1234 'core'");
    expect(header.get("NOPE")).toBeUndefined();
    expect(header.has("FLAG")).toBe(true);
  });

  it("inflates gzipped files (.fits.gz)", async () => {
    const bytes = await fixtureBytes("f32_nan.fits");
    const gz = new Blob([bytes]).stream().pipeThrough(new CompressionStream("gzip"));
    const file = await readFits(new Uint8Array(await new Response(gz).arrayBuffer()), "f32_nan.fits.gz");
    await expectMatchesAstropy(file, expected["f32_nan.fits"]);
  });

  it("accepts a last data unit without its padding", async () => {
    const bytes = await fixtureBytes("u8.fits");
    const file = await readFits(bytes.slice(0, 2880 + 37 * 23), "unpadded.fits");
    expectStats((await readImage(file)).data, 37, expected["u8.fits"].images["0"][0], 0, "unpadded");
  });
});

describe.skipIf(!haveShared)("real files in ../shared", () => {
  const read = async (rel: string) => await readFits(await Deno.readFile(new URL(rel, shared)), rel);

  it("gmos.fits: SCI is the default image, with astropy's statistics", async () => {
    const file = await read("data/gmos.fits");
    const sci = await readImage(file);
    expect([sci.hdu, sci.extname, sci.width, sci.height]).toEqual([1, "SCI", 200, 150]);
    // astropy 5.2.1: d = fits.open("gmos.fits")["SCI"].data.astype(np.float64); d.sum(), d.min(), d.max(),
    // (d.ravel() * (np.arange(d.size) % 101 + 1)).sum(), d[y, x]. Float32 data: float64 sums agree to rounding.
    const { sum, wsum, nan } = stats(sci.data);
    expect(nan).toBe(0);
    expect(sum).toBeCloseTo(2105489.775493622, 6);
    expect(wsum).toBeCloseTo(107535433.38807106, 4);
    expect(Math.min(...sci.data)).toBe(18.713871002197266);
    expect(Math.max(...sci.data)).toBe(4978.68408203125);
    const px = (x: number, y: number) => sci.data[y * 200 + x];
    expect([px(0, 0), px(199, 0), px(0, 149), px(199, 149), px(100, 75)]).toEqual([
      70.9386215209961,
      49.803524017333984,
      55.79650115966797,
      30.649547576904297,
      36.441062927246094,
    ]);
    expect(file.hdus[0].header.get("OBJECT")).toBe("LTT7379");
    expect(file.hdus[0].header.get("EXPTIME")).toBe(90);
  });

  it.each(sharedNames)("%s matches astropy (HDUs, every header card, pixels)", async (rel) => {
    await expectMatchesAstropy(await read(rel), expected[`shared:${rel}`]);
  });

  it("golden inputs equal the GMOS SCI frame, and masks are uint8 0/1 with the manifest's counts", async () => {
    const sci = await readImage(await read("data/gmos.fits"));
    const input = await readImage(await read("golden/lacosmic/gmos_in.fits"));
    expect(input.data).toEqual(sci.data);
    const manifest = JSON.parse(await Deno.readTextFile(new URL("golden/lacosmic/manifest.json", shared)));
    const cases = Object.values(manifest.cases) as { mask: string; flagged: number }[];
    expect(cases.length).toBeGreaterThan(0);
    for (const c of cases) {
      const file = await read(`golden/lacosmic/${c.mask}`);
      expect(file.hdus[0].bitpix).toBe(8);
      const mask = await readImage(file);
      expect(mask.data.every((v) => v === 0 || v === 1), c.mask).toBe(true);
      expect(stats(mask.data).sum, c.mask).toBe(c.flagged);
    }
  });
});

describe("errors name the file and the problem", () => {
  it("not a FITS file", async () => {
    await expectFitsError(
      readFits(ascii("hello world\n".repeat(300)), "notes.txt"),
      "notes.txt",
      /not a FITS file.*"hello world/,
    );
    await expectFitsError(
      readFits(new Uint8Array(0), "empty.fits"),
      "empty.fits",
      /not a FITS file: the file is empty/,
    );
    await expectFitsError(
      readFits(Uint8Array.of(0x1f, 0x8b, 1, 2, 3), "bad.fits.gz"),
      "bad.fits.gz",
      /gzip.*cannot be inflated/,
    );
  });

  it("truncated header", async () => {
    const bytes = (await fixtureBytes("u8.fits")).slice(0, 300);
    await expectFitsError(
      readFits(bytes, "cut.fits"),
      "cut.fits",
      /header of HDU 0 is truncated: the file ends at byte 300, before the END card/,
    );
  });

  it("header with no END card", async () => {
    const bytes = await fixtureBytes("u8.fits");
    const noEnd = withCard(bytes, "END     ", "");
    await expectFitsError(
      readFits(noEnd, "noend.fits"),
      "noend.fits",
      /HDU 0 has no END card: card 37 \(byte 2880\) is not text/,
    );
    await expectFitsError(
      readFits(noEnd.slice(0, 2880), "noend.fits"),
      "noend.fits",
      /header of HDU 0 has no END card \(the file ends after 1 header block/,
    );
  });

  it("truncated data: listed, and reading it says how much is missing", async () => {
    const bytes = (await fixtureBytes("u8.fits")).slice(0, 3000);
    const file = await readFits(bytes, "short.fits");
    expect(file.hdus[0].truncated).toBe(true);
    await expectFitsError(
      readImage(file),
      "short.fits",
      /HDU 0 is truncated: its data needs bytes 2880–3731 but the file ends at byte 3000/,
    );
  });

  it("an extension after a truncated one is not looked for", async () => {
    const bytes = await fixtureBytes("mef.fits");
    const file = await readFits(bytes.slice(0, 2880 * 3 + 100), "mef-cut.fits");
    expect(file.hdus.map((h) => [h.extname, h.truncated])).toEqual([[null, false], ["SCI", true]]);
    await expectFitsError(
      readImage(file, "VAR"),
      "mef-cut.fits",
      /no HDU named 'VAR' \(available: 0 PRIMARY no data; 1 'SCI' IMAGE 37×23 BITPIX -32\)/,
    );
  });

  it("bad structural cards", async () => {
    const bytes = await fixtureBytes("u8.fits");
    await expectFitsError(
      readFits(withCard(bytes, "BITPIX", "BITPIX  =                   12"), "b.fits"),
      "b.fits",
      /HDU 0: BITPIX is 12, expected one of/,
    );
    await expectFitsError(readFits(withCard(bytes, "NAXIS2", ""), "n.fits"), "n.fits", /HDU 0: NAXIS2 is missing/);
    await expectFitsError(
      readFits(withCard(bytes, "NAXIS1", "NAXIS1  =                 -37"), "m.fits"),
      "m.fits",
      /NAXIS1 is -37, expected an integer ≥ 0/,
    );
  });

  it("a missing HDU lists the available ones", async () => {
    const file = await open("mef.fits");
    const list = new RegExp(
      "available: 0 PRIMARY no data; 1 'SCI' IMAGE 37×23 BITPIX -32; 2 'VAR' IMAGE 37×23 BITPIX -32; " +
        "3 'DQ' IMAGE 37×23 BITPIX 8; 4 'CAT' BINTABLE 4×5 BITPIX 8; 5 'EMPTY' IMAGE no data\\)",
    );
    await expectFitsError(readImage(file, 9), "mef.fits", /no HDU 9 /);
    await expectFitsError(readImage(file, 9), "mef.fits", list);
    await expectFitsError(readImage(file, "FOO"), "mef.fits", /no HDU named 'FOO'/);
    await expectFitsError(readImage(file, -1), "mef.fits", /no HDU -1 /);
  });

  it("an HDU with no image data", async () => {
    const file = await open("mef.fits");
    await expectFitsError(readImage(file, 0), "mef.fits", /HDU 0 has no data/);
    await expectFitsError(readImage(file, "CAT"), "mef.fits", /HDU 4 'CAT' is a BINTABLE, not an image/);
    await expectFitsError(readImage(file, "EMPTY"), "mef.fits", /HDU 5 'EMPTY' has no data/);
    await expectFitsError(readImage(await open("spectrum.fits")), "spectrum.fits", /no HDU holds a 2-D image/);
    await expectFitsError(
      readImage(await open("spectrum.fits"), 0),
      "spectrum.fits",
      /HDU 0 holds 1-D data \(NAXIS1 = 50\)/,
    );
  });

  it("a cube needs a plane", async () => {
    const file = await open("cube.fits");
    await expectFitsError(
      readImage(file),
      "cube.fits",
      /HDU 0 is a 3-D cube \(9 × 13 × 4\): choose a 2-D plane with \{ plane: 0 … 3 \}/,
    );
    await expectFitsError(readImage(file, 0, { plane: 4 }), "cube.fits", /has 4 plane\(s\).*plane 4 does not exist/);
    await expectFitsError(readImage(file, 0, { plane: 1.5 }), "cube.fits", /plane 1.5 does not exist/);
  });

  it("writer input", () => {
    const bad = (f: () => unknown, problem: RegExp) => expect(f).toThrow(problem);
    bad(() => writeFits([]), /writeFits: no images/);
    bad(() => writeFits([{ data: new Float32Array(5), width: 2, height: 2 }]), /image 0: 5 pixels for 2 × 2/);
    bad(() => writeFits([{ data: new Float32Array(0), width: 0, height: 0 }]), /positive integers/);
    bad(
      () => writeFits([{ data: Float32Array.of(0, 1, NaN, 0), width: 2, height: 2, bitpix: 8 }]),
      /pixel \(0, 1\) = NaN cannot be stored with BITPIX 8/,
    );
    bad(() => writeFits([{ data: Float32Array.of(0, 256), width: 2, height: 1, bitpix: 8 }]), /pixel \(1, 0\) = 256/);
    bad(
      () => writeFits([{ data: Float32Array.of(0.5), width: 1, height: 1, bitpix: 16 }]),
      /= 0.5 cannot be stored with BITPIX 16/,
    );
    const card = (value: FitsCard["value"], key = "OBJECT"): FitsCard[] => [{ key, value, comment: "" }];
    bad(
      () => writeFits([{ data: new Uint8Array(1), width: 1, height: 1, header: card("Orion é") }]),
      /card 'OBJECT'.*printable ASCII/,
    );
    bad(
      () => writeFits([{ data: new Uint8Array(1), width: 1, height: 1, header: card(Infinity, "X") }]),
      /card 'X'.*Infinity/,
    );
  });
});

/** Header text of the first HDU, card by card (80 columns each), up to END. */
function headerLines(bytes: Uint8Array): string[] {
  const lines: string[] = [];
  for (let pos = 0; pos < bytes.length; pos += 80) {
    const line = new TextDecoder().decode(bytes.subarray(pos, pos + 80));
    lines.push(line);
    if (line.startsWith("END ")) return lines;
  }
  throw new Error("no END");
}

describe("writing, read back by our reader", () => {
  const [w, h] = [37, 23];
  const mask = Uint8Array.from({ length: w * h }, (_, i) => (i * 31) % 7 === 0 ? 1 : 0);

  it("a uint8 mask carrying over a header, with HISTORY and COMMENT", async () => {
    const source = await readImage(await open("i16.fits"));
    const bytes = writeFits([{
      data: mask,
      width: w,
      height: h,
      header: source.header,
      history: ["crgpu detection, sigclip 4.5"],
      comments: ["1 = cosmic ray"],
    }]);
    expect(bytes.length % 2880).toBe(0);
    const file = await readFits(bytes, "mask.fits");
    expect(file.hdus.map((h) => [h.bitpix, h.naxis])).toEqual([[8, [w, h]]]);
    const back = await readImage(file);
    expect(Array.from(back.data)).toEqual(Array.from(mask));
    // Every carried card survives, in order, after our structural ones.
    const keys = back.header.cards.map((c) => c.key);
    expect(keys.slice(0, 6)).toEqual(["SIMPLE", "BITPIX", "NAXIS", "NAXIS1", "NAXIS2", "EXTEND"]);
    const carried = source.header.cards.filter((c) =>
      !["SIMPLE", "BITPIX", "NAXIS", "NAXIS1", "NAXIS2", "EXTEND"].includes(c.key)
    );
    expect(back.header.cards.slice(6, 6 + carried.length)).toEqual(carried);
    expect(back.header.cards.slice(-2)).toEqual([
      { key: "COMMENT", value: "1 = cosmic ray", comment: "" },
      { key: "HISTORY", value: "crgpu detection, sigclip 4.5", comment: "" },
    ]);
  });

  it("float32 maps keep every bit, NaN and ±Infinity included; extensions by EXTNAME", async () => {
    const map = Float32Array.from({ length: w * h }, (_, i) => Math.fround(Math.sin(i) * 1e3));
    map[5] = NaN;
    map[6] = Infinity;
    map[7] = -Infinity;
    map[8] = -0;
    map[9] = 1.4e-45; // smallest subnormal
    const bytes = writeFits([
      { data: map, width: w, height: h, extname: "PROB" },
      { data: mask, width: w, height: h, extname: "MASK" },
    ]);
    const file = await readFits(bytes, "maps.fits");
    expect(file.hdus.map((h) => [h.type, h.extname, h.bitpix])).toEqual([
      ["PRIMARY", "PROB", -32],
      ["IMAGE", "MASK", 8],
    ]);
    const prob = await readImage(file);
    expect(prob.data).toEqual(map);
    expect(Object.is(prob.data[8], -0)).toBe(true);
    expect(Array.from((await readImage(file, "mask")).data)).toEqual(Array.from(mask));
    // The extension starts after the primary's header (1 block) and its 37·23·4 data bytes (2 blocks).
    expect(headerLines(bytes.subarray(3 * 2880)).slice(0, 8).map((l) => l.trimEnd())).toEqual([
      "XTENSION= 'IMAGE   '           / image extension",
      "BITPIX  =                    8 / array data type",
      "NAXIS   =                    2 / number of array dimensions",
      "NAXIS1  =                   37",
      "NAXIS2  =                   23",
      "PCOUNT  =                    0",
      "GCOUNT  =                    1",
      "EXTNAME = 'MASK    '           / extension name",
    ]);
  });

  it("every array type round-trips exactly (Uint16 via BZERO = 32768)", async () => {
    const n = w * h;
    const images = [
      Int16Array.from({ length: n }, (_, i) => ((i * 977) % 65536) - 32768),
      Uint16Array.from({ length: n }, (_, i) => (i * 977) % 65536),
      Int32Array.from({ length: n }, (_, i) => (i * 2654435761) % 4294967296 - 2147483648),
      Float64Array.from({ length: n }, (_, i) => 1 + i * 1e-12),
      Float32Array.from(mask),
    ];
    const bytes = writeFits([...images.map((data) => ({ data, width: w, height: h })), {
      data: Float32Array.from(mask),
      width: w,
      height: h,
      bitpix: 16,
    }]);
    const file = await readFits(bytes, "types.fits");
    expect(file.hdus.map((h) => h.bitpix)).toEqual([16, 16, 32, -64, -32, 16]);
    expect(file.hdus[1].header.get("BZERO")).toBe(32768);
    for (let i = 0; i < images.length; i++) {
      expect(Array.from((await readImage(file, i, { float64: true })).data), `image ${i}`).toEqual(
        Array.from(images[i]),
      );
    }
    expect(Array.from((await readImage(file, 5)).data)).toEqual(Array.from(mask));
  });

  it("structural cards of a carried header are rewritten, never copied", async () => {
    const header = new FitsHeader([
      ["SIMPLE", true],
      ["BITPIX", -32],
      ["NAXIS", 3],
      ["NAXIS1", 999],
      ["NAXIS3", 2],
      ["EXTEND", false],
      ["BZERO", 5],
      ["BSCALE", 3],
      ["BLANK", 0],
      ["EXTNAME", "SCI"],
      ["EXTVER", 2],
      ["CHECKSUM", "x"],
      ["DATASUM", "0"],
      ["DATAMIN", 0],
      ["DATAMAX", 1],
      ["PCOUNT", 1],
      ["GCOUNT", 2],
      ["XTENSION", "BINTABLE"],
      ["OBJECT", "M 42"],
    ].map(([key, value]) => ({ key: key as string, value: value as FitsCard["value"], comment: "" })));
    const data = Uint8Array.of(0, 1, 2, 3, 4, 5);
    const bytes = writeFits([{ data, width: 3, height: 2, header }, { data, width: 2, height: 3, header }]);
    const file = await readFits(bytes, "s.fits");
    const keys = file.hdus.map((h) => h.header.cards.map((c) => c.key));
    expect(keys).toEqual([
      ["SIMPLE", "BITPIX", "NAXIS", "NAXIS1", "NAXIS2", "EXTEND", "OBJECT"],
      ["XTENSION", "BITPIX", "NAXIS", "NAXIS1", "NAXIS2", "PCOUNT", "GCOUNT", "OBJECT"],
    ]);
    expect(Array.from((await readImage(file, 1)).data)).toEqual(Array.from(data));
    expect(file.hdus[1].naxis).toEqual([2, 3]);
  });

  it("card formatting: columns, quoting, CONTINUE, HIERARCH, long commentary", async () => {
    const cards: FitsCard[] = [
      { key: "FLAG", value: true, comment: "logical" },
      { key: "GAIN", value: 1.933, comment: "e-/ADU" },
      { key: "COUNT", value: -42, comment: "" },
      { key: "TINY", value: -1.2345678901234567e-100, comment: "" },
      { key: "WHOLE", value: 1e21, comment: "" },
      { key: "QUOTE", value: "it's", comment: "" },
      { key: "SLASH", value: "a / b", comment: "c / d" },
      { key: "LONG", value: "word ".repeat(40) + "''end", comment: "long comment ".repeat(10) },
      { key: "UNDEF", value: null, comment: "nothing" },
      { key: "ESO DET CHIP NAME", value: "CCD 1", comment: "hierarch" },
      { key: "HISTORY", value: "h".repeat(100), comment: "" },
    ];
    const bytes = writeFits([{ data: new Uint8Array(1), width: 1, height: 1, header: cards }]);
    const lines = headerLines(bytes);
    for (const line of lines) expect(line.length).toBe(80);
    const card = (prefix: string) => lines.find((l) => l.startsWith(prefix))!.trimEnd();
    expect(card("FLAG")).toBe("FLAG    =                    T / logical");
    expect(card("GAIN")).toBe("GAIN    =                1.933 / e-/ADU");
    expect(card("COUNT")).toBe("COUNT   =                  -42");
    expect(card("TINY")).toBe("TINY    = -1.2345678901234567E-100"); // free format: more than 20 columns
    expect(card("WHOLE")).toBe("WHOLE   =                1E+21");
    expect(card("QUOTE")).toBe("QUOTE   = 'it''s   '"); // at least 8 characters between the quotes
    expect(card("SLASH")).toBe("SLASH   = 'a / b   '           / c / d");
    expect(card("UNDEF")).toBe("UNDEF   =                      / nothing");
    expect(card("HIERARCH")).toBe("HIERARCH ESO DET CHIP NAME = 'CCD 1' / hierarch");
    expect(lines.filter((l) => l.startsWith("CONTINUE")).length).toBe(3);
    expect(lines.filter((l) => l.startsWith("HISTORY")).map((l) => l.slice(8).trimEnd())).toEqual([
      "h".repeat(72),
      "h".repeat(28),
    ]);
    // The header is padded with spaces to a whole block; the data with zeros.
    expect(bytes.length).toBe(2 * 2880);
    const headerEnd = lines.length * 80;
    expect(bytes.subarray(headerEnd, 2880).every((b) => b === 0x20)).toBe(true);
    expect(bytes.subarray(2880).every((b) => b === 0)).toBe(true);

    const back = (await readImage(await readFits(bytes, "cards.fits"))).header;
    for (const c of cards.filter((c) => c.key !== "HISTORY" && c.key !== "LONG")) {
      expect(back.get(c.key), c.key).toEqual(c.value);
    }
    expect(back.get("LONG")).toBe("word ".repeat(40) + "''end");
    // A comment too long for the last CONTINUE card is cut at column 80.
    const comment = back.cards.find((c) => c.key === "LONG")!.comment;
    expect(comment.length).toBeGreaterThan(10);
    expect("long comment ".repeat(10).startsWith(comment)).toBe(true);
  });
});
