// safetensors reader/writer and the half-precision conversions it uses.
import { describe, expect, it } from "vitest";
import { loadSafetensors, type SafetensorsInput, saveSafetensors } from "../src/nn/checkpoint/safetensors.ts";
import { floatToHalf, halfToFloat } from "../src/nn/checkpoint/float16.ts";

const fixtures = new URL("./fixtures/checkpoint/", import.meta.url);

/** A safetensors file from a header object and data bytes; `length` overrides the header length field. */
function build(header: unknown, data: Uint8Array, length?: number): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(length ?? json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

describe("float16", () => {
  it("every half value survives half → float → half", () => {
    for (let bits = 0; bits < 0x10000; bits++) {
      const value = halfToFloat(bits);
      if (Number.isNaN(value)) expect(Number.isNaN(halfToFloat(floatToHalf(value)))).toBe(true);
      else expect(floatToHalf(value), `0x${bits.toString(16)}`).toBe(bits);
    }
  });
  it("rounds to nearest, ties to even, with overflow to inf and underflow to zero", () => {
    const cases: [number, number][] = [
      [1 + 2 ** -11, 1], // tie between 1 and 1 + 2^-10: even is 1
      [1 + 3 * 2 ** -11, 1 + 2 ** -9], // tie: even is 1 + 2^-9
      [1 + 2 ** -11 + 2 ** -20, 1 + 2 ** -10], // just above the tie
      [65519, 65504],
      [65520, Infinity], // tie between 65504 and 2^16 (= inf): even wins
      [-1e6, -Infinity],
      [2 ** -25, 0], // tie between 0 and the smallest subnormal
      [2 ** -25 + 2 ** -40, 2 ** -24],
      [3 * 2 ** -26, 2 ** -24],
      [1e-10, 0],
      [2 ** -14 - 2 ** -25, 2 ** -14], // the largest subnormal rounds up into the smallest normal
    ];
    for (const [x, expected] of cases) expect(halfToFloat(floatToHalf(x)), String(x)).toBe(expected);
    expect(Object.is(halfToFloat(floatToHalf(-0)), -0)).toBe(true);
    expect(halfToFloat(floatToHalf(NaN))).toBeNaN();
  });
});

describe("safetensors", () => {
  const tensors = new Map<string, SafetensorsInput>([
    ["weight", { shape: [2, 3], data: new Float32Array([1, -2, 3.5, 1e-3, 0, -0.25]) }],
    ["bias", { shape: [3], data: new Float32Array([0.1, 0.2, 0.3]) }],
    ["bn.num_batches_tracked", { shape: [], data: new BigInt64Array([7n]) }],
    ["mask", { shape: [2], data: new Uint8Array([1, 0]), dtype: "bool" }],
    ["f64", { shape: [1], data: new Float64Array([Math.E]) }],
    ["empty", { shape: [0, 4], data: new Float32Array(0) }],
  ]);

  it("round trips float32, int64, bool, float64 and empty tensors, with metadata", () => {
    const bytes = saveSafetensors(tensors, { format: "pt", producer: "crgpu" });
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(headerLength % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
    // Largest items first, then by name: every tensor starts aligned to its item size.
    expect(Object.keys(header)).toEqual([
      "__metadata__",
      "bn.num_batches_tracked",
      "f64",
      "bias",
      "empty",
      "weight",
      "mask",
    ]);
    expect(header.weight).toEqual({ dtype: "F32", shape: [2, 3], data_offsets: [28, 52] });
    const { tensors: back, metadata } = loadSafetensors(bytes, "rt.safetensors");
    expect(metadata).toEqual({ format: "pt", producer: "crgpu" });
    expect(new Set(back.keys())).toEqual(new Set(tensors.keys()));
    for (const [name, t] of tensors) {
      expect(back.get(name), name).toEqual({ shape: t.shape, dtype: t.dtype ?? back.get(name)!.dtype, data: t.data });
    }
    expect(back.get("weight")!.dtype).toBe("float32");
    expect(back.get("bn.num_batches_tracked")!.dtype).toBe("int64");
  });

  it("round trips float16 (stored as F16, widened to float32 on load)", () => {
    const values = new Float32Array([1, -2, 3.5, 0.1, 65504, 1e-5]);
    const bytes = saveSafetensors(new Map([["x", { shape: [6], data: values }]]), {}, { float16: true });
    const x = loadSafetensors(bytes, "half.safetensors").tensors.get("x")!;
    expect(x.dtype).toBe("float32");
    expect(x.storedAs).toBe("float16");
    expect(Array.from(x.data as Float32Array)).toEqual(Array.from(values, (v) => halfToFloat(floatToHalf(v))));
    expect(bytes.length).toBe(8 + Number(new DataView(bytes.buffer).getBigUint64(0, true)) + 12);
  });

  it("reads a file written by Python's json + struct (make_fixtures.py)", async () => {
    const bytes = await Deno.readFile(new URL("handmade.safetensors", fixtures));
    const { tensors: t, metadata } = loadSafetensors(bytes, "handmade.safetensors");
    expect(metadata).toEqual({ format: "pt", note: "handmade" });
    expect([...t.keys()]).toEqual(["c_i64", "b_f16", "a_f32", "empty"]);
    expect(t.get("a_f32")).toEqual({ shape: [2, 2], dtype: "float32", data: new Float32Array([1, -2, 0.25, 1e-3]) });
    expect(t.get("b_f16")).toEqual({
      shape: [3],
      dtype: "float32",
      storedAs: "float16",
      data: new Float32Array([1.5, -0.0009765625, 60000]),
    });
    expect(t.get("c_i64")).toEqual({ shape: [2], dtype: "int64", data: new BigInt64Array([-(2n ** 40n), 7n]) });
    expect(t.get("empty")).toEqual({ shape: [0, 3], dtype: "float32", data: new Float32Array(0) });
  });

  const f32 = (begin: number, end: number, shape = [(end - begin) / 4]) => ({
    dtype: "F32",
    shape,
    data_offsets: [begin, end],
  });
  const refusals: [string, Uint8Array, RegExp][] = [
    ["a file shorter than 8 bytes", new Uint8Array(5), /too short/],
    [
      "a header length larger than the file",
      build({ a: f32(0, 4) }, new Uint8Array(4), 1_000_000),
      /header length 1000000 is larger/,
    ],
    ["a header that is not JSON", build({}, new Uint8Array(0)).fill(0x7b, 8), /not valid UTF-8 JSON/],
    ["a header that is a list", build([1, 2], new Uint8Array(0)), /not a JSON object/],
    ["overlapping offsets", build({ a: f32(0, 8), b: f32(4, 12) }, new Uint8Array(12)), /tensor b: .* overlap/],
    ["a gap between tensors", build({ a: f32(0, 4), b: f32(8, 12) }, new Uint8Array(12)), /leave a gap/],
    ["offsets past the data", build({ a: f32(0, 16) }, new Uint8Array(8)), /cover 16 bytes but the data section has 8/],
    ["unclaimed trailing data", build({ a: f32(0, 4) }, new Uint8Array(8)), /cover 4 bytes but the data section has 8/],
    [
      "shape inconsistent with the byte count",
      build({ a: f32(0, 8, [3]) }, new Uint8Array(8)),
      /8 bytes do not hold shape \[3\] of F32/,
    ],
    [
      "an unsupported dtype",
      build({ a: { dtype: "F8_E4M3", shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1)),
      /F8_E4M3.* not supported/,
    ],
    [
      "a negative dimension",
      build({ a: f32(0, 4, [-1]) }, new Uint8Array(4)),
      /shape is not a list of non-negative integers/,
    ],
    ["reversed offsets", build({ a: f32(4, 0, [1]) }, new Uint8Array(4)), /data_offsets is not \[begin, end\]/],
    [
      "non-string metadata",
      build({ __metadata__: { epoch: 3 } }, new Uint8Array(0)),
      /__metadata__\.epoch is not a string/,
    ],
  ];
  for (const [what, bytes, message] of refusals) {
    it(`refuses ${what}`, () => {
      expect(() => loadSafetensors(bytes, "bad.safetensors")).toThrow(/^bad\.safetensors: /);
      expect(() => loadSafetensors(bytes, "bad.safetensors")).toThrow(message);
    });
  }

  it("refuses to save inconsistent tensors", () => {
    expect(() => saveSafetensors(new Map([["a", { shape: [2, 2], data: new Float32Array(3) }]]))).toThrow(
      /shape \[2,2\] but 3/,
    );
    expect(() => saveSafetensors(new Map([["__metadata__", { shape: [1], data: new Float32Array(1) }]]))).toThrow(
      /not a tensor name/,
    );
  });
});
