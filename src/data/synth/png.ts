// Previews: an 8-bit greyscale or RGB PNG (zlib via CompressionStream("deflate"), CRC-32 per chunk) of an asinh-stretched
// image, for looking at what the simulator makes.

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

/** Encodes width × height grey levels (or RGB triplets with channels = 3), row 0 at the top, as a PNG. */
export async function encodePng(
  grey: Uint8Array,
  width: number,
  height: number,
  channels: 1 | 3 = 1,
): Promise<Uint8Array> {
  if (grey.length !== width * height * channels) {
    throw new Error(`encodePng: ${grey.length} bytes for ${width} × ${height} × ${channels}`);
  }
  const row = width * channels;
  const raw = new Uint8Array(height * (row + 1)); // each row: filter byte 0, then the pixels
  for (let y = 0; y < height; y++) raw.set(grey.subarray(y * row, (y + 1) * row), y * (row + 1) + 1);
  const ihdr = new Uint8Array(13);
  const view = new DataView(ihdr.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  ihdr.set([8, channels === 3 ? 2 : 0, 0, 0, 0], 8); // 8 bits, grey (0) or RGB (2), deflate, filtering, no interlace
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

/** asinh stretch: black at `low`, the noise σ ≈ `soft` sets where it turns from linear to logarithmic, white at
 * `high`. FITS row 0 is the bottom, so rows are flipped for display. */
export function asinhStretch(
  image: Float32Array,
  width: number,
  height: number,
  low: number,
  soft: number,
  high: number,
): Uint8Array {
  const out = new Uint8Array(width * height);
  const top = Math.asinh((high - low) / soft);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = Math.asinh(Math.max(0, image[y * width + x] - low) / soft) / top;
      out[(height - 1 - y) * width + x] = Math.round(255 * Math.min(1, v));
    }
  }
  return out;
}

/** A width × height cutout starting at (x0, y0). */
export function cutout(image: Float32Array, width: number, x0: number, y0: number, w: number, h: number): Float32Array {
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) out.set(image.subarray((y0 + y) * width + x0, (y0 + y) * width + x0 + w), y * w);
  return out;
}
