// Builds the uniform `Params` block of a dispatch. Fields are 4 bytes each, in the order of the WGSL struct.
export class Params {
  private words: number[] = [];
  private kinds: ("u" | "i" | "f")[] = [];

  u32(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`u32 param out of range: ${v}`);
    this.words.push(v);
    this.kinds.push("u");
    return this;
  }

  i32(v: number): this {
    if (!Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) throw new RangeError(`i32 param out of range: ${v}`);
    this.words.push(v);
    this.kinds.push("i");
    return this;
  }

  f32(v: number): this {
    this.words.push(v);
    this.kinds.push("f");
    return this;
  }

  /** Padded to 16 bytes as uniform structs require. */
  bytes(): ArrayBuffer {
    const n = Math.max(4, Math.ceil(this.words.length / 4) * 4);
    const buf = new ArrayBuffer(n * 4);
    const u = new Uint32Array(buf);
    const i = new Int32Array(buf);
    const f = new Float32Array(buf);
    this.words.forEach((v, k) => {
      if (this.kinds[k] === "u") u[k] = v;
      else if (this.kinds[k] === "i") i[k] = v;
      else f[k] = v;
    });
    return buf;
  }
}
