// Tiling a large image for the UNet: tiles of one size (at most `patch`), starting on the pooling grid,
// overlapping by enough that every output pixel can be taken from tiles where it lies beyond the network's receptive
// field from the tile edge, blended linearly across the rest of the overlap so that no seam shows.

/**
 * Radius in input pixels of the receptive field of UNet-`depth` (3×3 double convs, 2×2 pools, 2×2 stride-2
 * transposed convs): 29 for depth 3. A pixel this far from a tile edge never sees the tile's zero padding.
 */
export function receptiveRadius(depth: number): number {
  // Up the decoder from the output: two 3×3 convs per level, then into the coarser level through the
  // transposed conv (one coarse pixel per 2×2 block, +1 for the block's alignment).
  let r = 2;
  for (let level = 1; level < depth; level++) r = Math.ceil(r / 2) + 1 + 2;
  // Down the encoder: each pooling doubles the radius (+1 for the window), then the level's two convs.
  for (let level = depth - 1; level >= 1; level--) r = 2 * r + 1 + 2;
  return r;
}

export interface TileLayout {
  /** Tile starts along x and y (multiples of the size multiple); tiles are every (x, y) pair. */
  xs: number[];
  ys: number[];
  /** Tile size (every tile is the same size, so pooled GPU buffers are reused from tile to tile). */
  tileW: number;
  tileH: number;
  /** Padded image size the tiles cover. */
  width: number;
  height: number;
  /** Pixels nearer than `edge` to an inner tile edge get weight 0; the next `blend` pixels ramp up to 1. */
  edge: number;
  blend: number;
}

/** Smallest patch the tiling accepts for a network of `depth` levels (128 for depth 3). */
export function minPatch(depth: number): number {
  const { edge, blend, multiple } = margins(depth);
  return 2 * edge + blend + 8 * multiple;
}

function margins(depth: number): { edge: number; blend: number; multiple: number } {
  const multiple = 1 << (depth - 1);
  const edge = Math.ceil((receptiveRadius(depth) + 1) / multiple) * multiple;
  return { edge, blend: edge, multiple };
}

/**
 * Tiles along one axis: as few as tiles of at most `patch` allow, then shrunk to the smallest size (a multiple of
 * `multiple`) with which that many still overlap by more than `overlap`, so no pixels are computed needlessly
 * (4096 px at patch 1024: 5 tiles of 900 rather than 5 of 1024).
 */
function axisPlan(length: number, patch: number, overlap: number, multiple: number): {
  size: number;
  starts: number[];
} {
  if (length <= patch) return { size: length, starts: [0] };
  const n = Math.ceil((length - patch) / (patch - overlap - multiple)) + 1;
  const size = Math.ceil((length + (n - 1) * (overlap + multiple)) / n / multiple) * multiple;
  const starts: number[] = [];
  // Evenly spread, rounded down to the pooling grid: consecutive starts differ by less than size − overlap.
  for (let i = 0; i < n; i++) starts.push(Math.floor((i * (length - size)) / (n - 1) / multiple) * multiple);
  return { size, starts };
}

/** Tiles for a padded `width` × `height` image (both multiples of 2^(depth−1)), tile sides at most `patch`. */
export function planTiles(width: number, height: number, patch: number, depth: number): TileLayout {
  const { edge, blend, multiple } = margins(depth);
  if (patch % multiple || patch < minPatch(depth)) {
    throw new RangeError(`patch ${patch} must be a multiple of ${multiple} and at least ${minPatch(depth)}`);
  }
  const overlap = 2 * edge + blend;
  const x = axisPlan(width, patch, overlap, multiple), y = axisPlan(height, patch, overlap, multiple);
  return { xs: x.starts, ys: y.starts, tileW: x.size, tileH: y.size, width, height, edge, blend };
}

/**
 * Blend weights along one axis of the tile starting at `start`: 0 within `edge` of an edge shared with another
 * tile (an image border is not such an edge), then a linear ramp over `blend` pixels up to 1.
 */
export function axisWeights(start: number, size: number, length: number, edge: number, blend: number): Float32Array {
  const w = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    const fromLow = start > 0 ? i : Infinity;
    const fromHigh = start + size < length ? size - 1 - i : Infinity;
    const d = Math.min(fromLow, fromHigh);
    w[i] = d < edge ? 0 : Math.min(1, (d - edge + 1) / (blend + 1));
  }
  return w;
}
