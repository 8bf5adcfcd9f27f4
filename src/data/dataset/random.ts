// Seeded randomness for datasets: every random choice (split, shuffles, augmentation) comes from an Rng seeded by
// hashing the dataset seed with what the choice is about (epoch, position, …), so it does not depend on what was
// drawn before — a run resumed at batch k draws exactly what the uninterrupted run drew there.
import { Rng } from "../../nn/init.ts";

/** A 32-bit hash of integers (murmur3's finaliser over a running mix). */
export function mix(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const p of parts) {
    let k = Math.imul((p >>> 0) ^ Math.floor(p / 4294967296), 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h = Math.imul(h ^ Math.imul(k, 0x1b873593), 5) + 0xe6546b64;
    h = (h << 13) | (h >>> 19);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

export function rngFor(...parts: number[]): Rng {
  return new Rng(mix(...parts));
}

/** A uniformly random permutation of 0…n−1 (Fisher–Yates). */
export function permutation(n: number, rng: Rng): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = p[i];
    (p[i] = p[j]), (p[j] = t);
  }
  return p;
}

/** Salts, so that different choices made from the same seed are independent. */
export const SALT = { shardOrder: 1, chunkOrder: 2, augment: 3, split: 4, val: 5, scatter: 6, frames: 7 } as const;
