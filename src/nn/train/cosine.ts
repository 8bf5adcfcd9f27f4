// Cosine learning-rate decay for long runs (Loshchilov & Hutter 2017, without restarts): from the base rate at
// step 0 down to `floor` × base at the last step, a pure function of the global step, so a resumed run is exact.
// The plateau schedule (the paper's) waits for the validation loss to stall, which with short epochs either
// fires too early or never; a fixed-length decay fits runs planned by their step count.

export const COSINE_FLOOR = 0.01;

export function cosineLr(base: number, step: number, totalSteps: number, floor = COSINE_FLOOR): number {
  const t = totalSteps > 0 ? Math.min(1, Math.max(0, step / totalSteps)) : 1;
  return base * (floor + (1 - floor) * 0.5 * (1 + Math.cos(Math.PI * t)));
}
