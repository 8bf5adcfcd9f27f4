// The detection page's display stretches (src/web/stretch.ts). zscale limits against astropy 5.2.1's
// ZScaleInterval().get_limits on the same arrays (values printed by /usr/bin/python3, see each case); runs in Deno
// and in Chromium.
import { describe, expect, it } from "vitest";
import { asinhSoftening, asinhStretch, greyLevels, zscale } from "../../src/web/stretch.ts";

/** 100 + 5·sin(0.37 i) in float32, +500 on every 97th pixel, pixel 5 NaN (20,000 pixels). */
function spiky(): Float32Array {
  const x = new Float32Array(20000).map((_, i) => 100 + 5 * Math.sin(i * 0.37));
  for (let i = 0; i < x.length; i += 97) x[i] += 500;
  x[5] = NaN;
  return x;
}

describe("zscale", () => {
  it("matches astropy on a ramp (no rejection: the limits are the extremes)", () => {
    // np.arange(5000) * 0.5 + 3 → (3.0, 2500.5)
    const r = new Float64Array(5000).map((_, i) => i * 0.5 + 3);
    const [lo, hi] = zscale(r);
    expect(lo).toBe(3);
    expect(hi).toBe(2500.5);
  });

  it("matches astropy on a sine with spikes and a NaN (rejection and growing)", () => {
    // astropy: (95.0, 125.26527404065543); float64 arithmetic in both, so 1e-12 relative.
    const [lo, hi] = zscale(spiky());
    expect(lo).toBe(95);
    expect(Math.abs(hi - 125.26527404065543) / 125.27).toBeLessThan(1e-12);
  });

  it("gives a usable range for constant and empty images", () => {
    expect(zscale(new Float32Array(100).fill(7))).toEqual([7, 7]);
    expect(zscale(new Float32Array([NaN, Infinity]))).toEqual([0, 1]);
  });
});

describe("grey levels", () => {
  it("asinh stretch: asinh(x/0.1)/asinh(10), clipped to [0, 1]", () => {
    expect(asinhStretch(0)).toBe(0);
    expect(asinhStretch(1)).toBeCloseTo(1, 12);
    expect(asinhStretch(2)).toBeCloseTo(1, 12);
    expect(asinhStretch(-1)).toBe(0);
    // asinh(1) / asinh(10) = 0.881373587 / 2.998222950
    expect(asinhStretch(0.1)).toBeCloseTo(0.881373587019543 / 2.99822295029797, 12);
  });

  it("maps zscale limits to 0 and 255, NaN to 0", () => {
    const x = spiky();
    const { grey, lo, hi } = greyLevels(x, "zscale");
    expect(lo).toBe(95);
    for (let i = 0; i < 200; i++) {
      const want = Number.isNaN(x[i]) ? 0 : Math.round(255 * Math.min(1, Math.max(0, (x[i] - lo) / (hi - lo))));
      expect(grey[i], `pixel ${i}`).toBe(want);
    }
    expect(grey[0]).toBe(255); // a spike
    const a = greyLevels(x, "asinh");
    expect(a.hi).toBe(Math.max(...x.filter(Number.isFinite))); // asinh keeps the brightest pixel unclipped
  });

  it("asinh softening puts the zscale upper limit at mid-grey", () => {
    for (const xh of [0.001, 0.02, 0.3]) {
      const a = asinhSoftening(xh);
      expect(asinhStretch(xh, a)).toBeCloseTo(0.5, 9);
    }
    expect(asinhSoftening(0.7)).toBe(1e3); // already bright enough: nearly linear
    const x = spiky();
    const { grey, lo, hi, a } = greyLevels(x, "asinh");
    const [, zhi] = zscale(x);
    expect(asinhStretch((zhi - lo) / (hi - lo), a!)).toBeCloseTo(0.5, 9);
    expect(grey[0]).toBe(255); // the brightest pixels (spikes of +500) reach white
  });
});
