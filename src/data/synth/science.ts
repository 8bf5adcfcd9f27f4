// DECam-like science frames: sky + stars + galaxies through a Moffat PSF, Poisson noise, saturation with column
// bleeding, optional bad columns, read noise, gain and bias. Cosmic-ray free unless `cosmics` is set.
import { Rng } from "../../nn/init.ts";
import { type Band, type Camera, DECAM } from "./constants.ts";
import { addCosmics, type CosmicRates } from "./cosmics.ts";
import { CR_RATES, maskThreshold } from "./dark.ts";
import { applyBadColumns, type BadColumn, bleed, drawBadColumns, poissonImage, readout } from "./detector.ts";
import { drawGalaxies, type Galaxy, GALAXY_COUNTS, shootGalaxies } from "./galaxies.ts";
import { moffat } from "./psf.ts";
import { poisson } from "./random.ts";
import { countRate, skyRate } from "./sky.ts";
import { countBetween, drawStars, renderStars, type Source, STAR_COUNTS } from "./stars.ts";

export interface ScienceOptions {
  width: number;
  height: number;
  band: Band;
  seed: number;
  /** Seconds (default 90, the DES exposure). */
  exposure?: number;
  /** PSF FWHM, arcsec (default drawn uniformly in 0.9–1.3″). */
  seeing?: number;
  /** Moffat β (default drawn uniformly in 2.5–4.765: from observed wings to Kolmogorov turbulence's 4.765). */
  beta?: number;
  badColumns?: boolean;
  /** ADU added to every pixel (default 0: overscan-subtracted, as calibrated frames are). */
  bias?: number;
  /** Stars per arcmin² brighter than 24 mag (default 2; 0 for none). */
  starDensity?: number;
  /** Brightest star drawn, mag (default 12). */
  brightestStar?: number;
  /** Galaxies per arcmin² (default 10; 0 for none). */
  galaxyDensity?: number;
  /** Stars placed by hand (tests, examples, HII knots), added to the drawn ones. */
  extraStars?: readonly Source[];
  /** Galaxies placed by hand (domain randomisation's large galaxies), added to the drawn ones. */
  extraGalaxies?: readonly Galaxy[];
  /** Add the cosmic rays of the exposure too (default false: frames are the clean U of the injection recipe). */
  cosmics?: boolean | CosmicRates;
  /** Telescope + camera (pixel scale, zero points, sky, CCD); default DECam on the Blanco (DECAM_CAMERA). */
  camera?: Camera;
}

export interface ScienceMeta {
  /** Camera name ("decam" unless `camera` was given). */
  camera: string;
  band: Band;
  seed: number;
  exposure: number;
  /** arcsec */
  seeing: number;
  beta: number;
  /** PSF FWHM, pixels. */
  fwhmPixels: number;
  /** Mean sky, ADU (bias excluded). */
  sky: number;
  bias: number;
  gain: number;
  readNoise: number;
  zeroPoint: number;
  pixelScale: number;
  stars: number;
  galaxies: number;
  /** Pixels at the full well after bleeding. */
  saturated: number;
  badColumns: BadColumn[];
}

export interface ScienceFrame {
  /** ADU. */
  image: Float32Array;
  /** Mean sky, ADU. */
  sky: number;
  /** True CR mask when `cosmics` was set. */
  crMask?: Uint8Array;
  meta: ScienceMeta;
}

export function simulateScience(opts: ScienceOptions): ScienceFrame {
  const { width, height, band, seed } = opts;
  const exposure = opts.exposure ?? 90;
  const rng = new Rng(seed);
  const seeing = opts.seeing ?? rng.uniform(0.9, 1.3);
  const beta = opts.beta ?? rng.uniform(2.5, 4.765);
  const bias = opts.bias ?? 0;
  const cam = opts.camera;
  const ccd = cam?.ccd ?? DECAM;
  const scale = cam?.pixelScale ?? DECAM.pixelScale, zp = cam?.zeroPoint[band] ?? DECAM.zeroPoint[band];
  const psf = moffat(seeing / scale, beta);
  const arcmin2 = width * height * (scale / 60) ** 2;

  // Expected e⁻ of sky and stars; galaxies are photon-shot (their Poisson noise comes with them).
  const skyE = (cam ? countRate(cam.skyBrightness[band], zp) * scale * scale : skyRate(band)) * exposure;
  const expected = new Float32Array(width * height).fill(skyE);
  const starDensity = opts.starDensity ?? STAR_COUNTS.densityAt24;
  const bright = opts.brightestStar ?? STAR_COUNTS.brightest;
  const starCount = poisson(rng, countBetween(STAR_COUNTS.slope, starDensity, bright, STAR_COUNTS.faintest) * arcmin2);
  const stars = drawStars(rng, starCount, width, height, bright, STAR_COUNTS.faintest);
  if (opts.extraStars) stars.push(...opts.extraStars);
  renderStars(expected, width, height, stars, psf, zp, exposure);
  const charge = poissonImage(expected, rng);
  const galaxyCount = poisson(rng, (opts.galaxyDensity ?? GALAXY_COUNTS.density) * arcmin2);
  const galaxies = drawGalaxies(rng, galaxyCount, width, height);
  if (opts.extraGalaxies) galaxies.push(...opts.extraGalaxies);
  shootGalaxies(charge, width, height, galaxies, psf, zp, exposure, scale, rng);

  let crMask: Uint8Array | undefined;
  if (opts.cosmics) {
    const cr = new Float32Array(width * height);
    addCosmics(cr, width, height, ccd, opts.cosmics === true ? CR_RATES.decam : opts.cosmics, exposure, rng);
    crMask = new Uint8Array(width * height);
    const threshold = maskThreshold(ccd);
    for (let i = 0; i < cr.length; i++) {
      const q = Math.round(cr[i]);
      charge[i] += q;
      if (q > threshold) crMask[i] = 1;
    }
  }
  const saturated = bleed(charge, width, height, ccd.fullWell);
  const badColumns = opts.badColumns ? drawBadColumns(rng, width, height) : [];
  applyBadColumns(charge, width, badColumns);
  const image = readout(charge, ccd, bias, rng);
  const sky = skyE / ccd.gain;
  return {
    image,
    sky,
    crMask,
    meta: {
      camera: cam?.name ?? "decam",
      band,
      seed,
      exposure,
      seeing,
      beta,
      fwhmPixels: psf.fwhm,
      sky,
      bias,
      gain: ccd.gain,
      readNoise: ccd.readNoise,
      zeroPoint: zp,
      pixelScale: scale,
      stars: stars.length,
      galaxies: galaxyCount,
      saturated,
      badColumns,
    },
  };
}
