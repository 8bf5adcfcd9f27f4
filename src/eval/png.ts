// 8-bit RGB PNG encoding for the report's cutouts (the simulator's png.ts writes greyscale only), and the
// display stretch of an image cutout.

const CRC_TABLE = new Uint32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  CRC_TABLE[n] = c >>> 0;
}

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

async function deflate(bytes: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream("deflate"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Encodes width × height RGB triples (row 0 at the top) as a PNG. */
export async function encodePngRgb(rgb: Uint8Array, width: number, height: number): Promise<Uint8Array> {
  if (rgb.length !== width * height * 3) {
    throw new RangeError(`encodePngRgb: ${rgb.length} bytes for ${width} × ${height} × 3`);
  }
  const row = width * 3;
  const raw = new Uint8Array(height * (row + 1)); // each row: filter byte 0, then the pixels
  for (let y = 0; y < height; y++) raw.set(rgb.subarray(y * row, (y + 1) * row), y * (row + 1) + 1);
  const ihdr = new Uint8Array(13);
  const view = new DataView(ihdr.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8 bits, truecolour, deflate, adaptive filtering, no interlace
  const parts = [
    new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk("IHDR", ihdr),
    chunk("IDAT", await deflate(raw)),
    chunk("IEND", new Uint8Array(0)),
  ];
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) out.set(p, at), (at += p.length);
  return out;
}

/** data: URI of a PNG. */
export function dataUri(png: Uint8Array): string {
  let bin = "";
  for (let i = 0; i < png.length; i += 0x8000) bin += String.fromCharCode(...png.subarray(i, i + 0x8000));
  return `data:image/png;base64,${btoa(bin)}`;
}

/**
 * Grey levels of an image cutout: asinh stretch with black at median − σ, the linear-to-log knee at σ (the robust
 * noise, 1.4826 × MAD) and white at the 99.5th percentile (at least median + 20σ), so sky noise, sources and CR
 * hits are all visible. Non-finite pixels are black. Row order is kept (callers flip all panels alike).
 */
export function stretch(image: ArrayLike<number>): Uint8Array {
  const finite = Array.from(image).filter(Number.isFinite).sort((a, b) => a - b);
  const out = new Uint8Array(image.length);
  if (finite.length === 0) return out;
  const q = (p: number) => finite[Math.min(finite.length - 1, Math.floor(p * finite.length))];
  const med = q(0.5);
  const mad = finite.map((v) => Math.abs(v - med)).sort((a, b) => a - b)[finite.length >> 1];
  const sigma = Math.max(1.4826 * mad, 1e-6 * Math.max(1, Math.abs(med)));
  const low = med - sigma, high = Math.max(q(0.995), med + 20 * sigma);
  const top = Math.asinh((high - low) / sigma);
  for (let i = 0; i < image.length; i++) {
    const v = image[i];
    if (!Number.isFinite(v)) continue;
    out[i] = Math.round(255 * Math.min(1, Math.asinh(Math.max(0, v - low) / sigma) / top));
  }
  return out;
}
