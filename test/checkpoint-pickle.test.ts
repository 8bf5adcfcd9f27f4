// The restricted unpickler on pickles written by CPython's own pickle module (hex below), and on malformed input.
import { describe, expect, it } from "vitest";
import { PyGlobal, PyTuple, type PyValue, unpickle } from "../src/nn/checkpoint/pickle.ts";

const hex = (s: string) => Uint8Array.from(s.match(/../g)!, (h) => parseInt(h, 16));
const latin1 = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const load = (bytes: Uint8Array, globals: PyGlobal[] = []) => unpickle(bytes, { fileName: "t.pkl", globals });

// python3 -c "import pickle; print(pickle.dumps(V, protocol=P).hex())" with
// V = [0, 255, 256, 65535, 65536, -1, -2**31, 2**31, 2**53+1, -(2**70), 1.5, -0.1, True, False, None, 'é€',
//      ('a',), ('a','b'), ('a','b','c'), ('a','b','c','d'), (), {'k': [1, 2], 3: 'x'}, []]
const PROTOCOL_2 =
  "80025d7100284b004bff4d00014dffff4a000001004affffffff4a000000808a0500000080008a07010000000000208a0900" +
  "00000000000000c0473ff800000000000047bfb999999999999a88894e5805000000c3a9e282ac7101580100000061710285710368025801" +
  "000000627104867105680268045801000000637106877107286802680468065801000000647108747109297d710a2858010000006b710b5d" +
  "710c284b014b02654b03580100000078710d755d710e652e";
const PROTOCOL_4 =
  "80049594000000000000005d94284b004bff4d00014dffff4a000001004affffffff4a000000808a0500000080008a07010000" +
  "000000208a090000000000000000c0473ff800000000000047bfb999999999999a88894e8c05c3a9e282ac948c016194859468028c016294" +
  "8694680268048c0163948794286802680468068c0164947494297d94288c016b945d94284b014b02654b038c017894755d94652e";
const EXPECTED: PyValue = [
  0,
  255,
  256,
  65535,
  65536,
  -1,
  -(2 ** 31),
  2 ** 31,
  2n ** 53n + 1n,
  -(2n ** 70n),
  1.5,
  -0.1,
  true,
  false,
  null,
  "é€",
  new PyTuple(["a"]),
  new PyTuple(["a", "b"]),
  new PyTuple(["a", "b", "c"]),
  new PyTuple(["a", "b", "c", "d"]),
  new PyTuple([]),
  new Map<string | number, PyValue>([["k", [1, 2]], [3, "x"]]),
  [],
];

describe("restricted unpickler", () => {
  it("reads CPython protocol 2 and protocol 4 pickles of plain values", () => {
    expect(load(hex(PROTOCOL_2))).toEqual(EXPECTED);
    expect(load(hex(PROTOCOL_4))).toEqual(EXPECTED);
  });
  it("APPEND and SETITEM (one-element list and dict), and Python 2 strings", () => {
    // pickle.dumps([[7], {'z': 1}], protocol=2)
    expect(load(hex("80025d7100285d71014b07617d710258010000007a71034b0173652e"))).toEqual([[7], new Map([["z", 1]])]);
    expect(load(latin1("\x80\x02U\x03ab\xe9."))).toBe("abé");
    expect(load(latin1("\x80\x02T\x02\x00\x00\x00hi."))).toBe("hi");
  });
  it("calls an allow-listed global through REDUCE, and only that", () => {
    const calls: PyValue[][] = [];
    const f = new PyGlobal("m", "f", (args) => (calls.push([...args]), "made"));
    expect(load(latin1("\x80\x02cm\nf\nK\x01K\x02\x86R."), [f])).toBe("made");
    expect(calls).toEqual([[1, 2]]);
    expect(() => load(latin1("\x80\x02cm\ng\n)R."), [f])).toThrow(/refusing global m\.g: only m\.f are allowed/);
  });

  const refusals: [string, string, RegExp][] = [
    ["an empty input", "", /byte 0: the pickle is truncated/],
    ["a missing STOP", "\x80\x02K\x01", /the pickle is truncated/],
    ["an unset memo slot", "\x80\x02h\x05.", /BINGET at byte 2: memo 5 is unset/],
    ["a stack underflow", "\x80\x02s.", /SETITEM at byte 2: stack underflow/],
    ["popping through a MARK", "\x80\x02K\x01(\x85.", /TUPLE1 at byte 5: stack underflow/],
    ["TUPLE without MARK", "\x80\x02t.", /no MARK on the stack/],
    ["leftover values", "\x80\x02K\x01K\x02.", /values left on the stack/],
    ["SETITEM on a list", "\x80\x02]K\x01K\x02s.", /target is a list, not a dict/],
    ["a tuple as dict key", "\x80\x02})K\x01s.", /dict key a tuple of 0 is not supported/],
    ["calling a non-global", "\x80\x02K\x01)R.", /cannot call number 1/],
    ["BUILD on a list", "\x80\x02]}b.", /only a dict's attributes are accepted/],
    ["BINPERSID without a loader", "\x80\x02K\x01Q.", /persistent ids are not expected/],
    ["invalid UTF-8", "\x80\x02X\x01\x00\x00\x00\xff.", /not valid UTF-8/],
    ["a future protocol", "\x80\x06.", /protocol 6 is newer than 5/],
    ["GLOBAL without newline", "\x80\x02cos", /no newline/],
    ["OBJ (0x6f)", "\x80\x02(o.", /opcode 0x6f \("o"\) is not supported/],
    ["NEWOBJ (0x81)", "\x80\x02\x81.", /opcode 0x81 .* is not supported/],
    ["PERSID, text form (0x50)", "\x80\x02P0\n.", /opcode 0x50 \("P"\) is not supported/],
    ["EXT1 (0x82)", "\x80\x02\x82\x01.", /opcode 0x82 .* is not supported/],
  ];
  for (const [what, bytes, message] of refusals) {
    it(`refuses ${what}`, () => {
      expect(() => load(latin1(bytes))).toThrow(/^t\.pkl: pickle /);
      expect(() => load(latin1(bytes))).toThrow(message);
    });
  }
});
