// Cosmic-ray hits in a CCD: muon tracks, low-energy electrons ("worms" and spots) and the delta rays of muons.
//
//   muons     isotropic intensity ∝ cos²θ (zenith angle), so through a horizontal sensor dN/dcosθ ∝ cos³θ; the
//             projected track is thickness·tanθ / pixel; the charge along it follows a Landau-like law (Moyal core,
//             most probable 80 e⁻/µm) and each point diffuses sideways by σ ∝ √(depth) up to diffusionMax at
//             the back surface, so tracks taper from the entry side.
//   electrons Compton and delta electrons, kinetic energy log-uniform in 5 keV–1 MeV (assumption); range from
//             Katz & Penfold (1952); a 3-D random walk whose scattering grows as the electron slows; the energy
//             loss per step rises toward the end (R ∝ E^1.6). Short ranges make spots, long ones worms; electrons
//             leaving the silicon stop depositing.
import type { Rng } from "../../nn/init.ts";
import { type Ccd, EV_PER_PAIR, MIP_MPV, SILICON_DENSITY } from "./constants.ts";
import { deposit } from "./deposit.ts";
import { moyal, poisson } from "./random.ts";

/** Event rates per cm² of sensor per second. */
export interface CosmicRates {
  muons: number;
  electrons: number;
}

/** Counts of what hit the sensor (including events that started in the margin). */
export interface CosmicStats {
  muons: number;
  electrons: number;
  deltaRays: number;
  /** Total charge deposited inside the frame, e⁻. */
  charge: number;
}

/** Delta rays above 10 keV per µm of a MIP's path in Si: (K/2)(Z/A)ρ / T_min = 0.179 MeV/cm / 10 keV. */
const DELTA_PER_UM = 0.00179;
const DELTA_TMIN = 0.01, DELTA_TMAX = 1.0; // MeV
const ELECTRON_EMIN = 0.005, ELECTRON_EMAX = 1.0; // MeV
/** Steepest muon accepted, cos θ ≥ 0.05 (θ ≤ 87°): steeper ones are vanishingly rare under cos³θ. */
const COS_MIN = 0.05;

/** Electron CSDA range in silicon, µm (Katz & Penfold 1952: R = 0.412 E^{1.265 − 0.0954 ln E} g/cm², E in MeV). */
export function electronRange(energyMeV: number): number {
  const e = energyMeV;
  return 0.412 * e ** (1.265 - 0.0954 * Math.log(e)) / SILICON_DENSITY * 1e4;
}

interface Frame {
  image: Float32Array;
  width: number;
  height: number;
  ccd: Ccd;
}

/** Diffusion σ in pixels for charge made at `depth` µm from the collecting gates. */
function sigmaAt(f: Frame, depth: number): number {
  const d = depth < 0 ? 0 : depth > f.ccd.thickness ? f.ccd.thickness : depth;
  return f.ccd.diffusionMax * Math.sqrt(d / f.ccd.thickness) / f.ccd.pixelSize;
}

/** A muon entering the back surface at (x, y) pixels. Returns the number of delta rays it made. */
function muon(f: Frame, x: number, y: number, rng: Rng): number {
  const { thickness, pixelSize } = f.ccd;
  const cos = Math.max(COS_MIN, rng.next() ** 0.25);
  const tan = Math.sqrt(1 - cos * cos) / cos;
  const phi = 2 * Math.PI * rng.next();
  const length = thickness * tan / pixelSize; // projected, pixels
  const dx = length * Math.cos(phi), dy = length * Math.sin(phi);
  const path = thickness / cos; // µm
  const steps = Math.max(1, Math.ceil(length * 3), Math.ceil(path / 5));
  const ds = path / steps;
  for (let k = 0; k < steps; k++) {
    const t = (k + 0.5) / steps;
    const q = ds * MIP_MPV * Math.max(0, 1 + 0.25 * moyal(rng));
    deposit(f.image, f.width, f.height, x + t * dx, y + t * dy, q, sigmaAt(f, thickness * (1 - t)));
  }
  // Delta rays: N(>T) ∝ 1/T, so T = T_min / (1 − u (1 − T_min/T_max)); each is walked like any electron.
  const deltas = poisson(rng, path * DELTA_PER_UM);
  for (let k = 0; k < deltas; k++) {
    const t = rng.next();
    const energy = DELTA_TMIN / (1 - rng.next() * (1 - DELTA_TMIN / DELTA_TMAX));
    electron(f, x + t * dx, y + t * dy, thickness * (1 - t), energy, rng);
  }
  return deltas;
}

/** An electron of `energy` MeV starting at (x, y) pixels and `depth` µm from the gates, in a random direction. */
function electron(f: Frame, x: number, y: number, depth: number, energy: number, rng: Rng): void {
  const { thickness, pixelSize } = f.ccd;
  const range = electronRange(energy);
  const total = energy * 1e6 / EV_PER_PAIR; // e⁻
  const step = Math.min(8, Math.max(0.5, range / 12));
  const steps = Math.max(1, Math.ceil(range / step));
  // Isotropic start direction.
  let uz = 2 * rng.next() - 1;
  let s = Math.sqrt(1 - uz * uz), a = 2 * Math.PI * rng.next();
  let ux = s * Math.cos(a), uy = s * Math.sin(a);
  let px = x * pixelSize, py = y * pixelSize, pz = depth; // µm
  let before = 1; // (remaining range / range)^0.625 = remaining energy fraction
  for (let k = 0; k < steps; k++) {
    const remaining = Math.max(0, 1 - (k + 1) / steps);
    const after = remaining ** 0.625;
    const q = total * (before - after);
    before = after;
    const len = range / steps;
    const mz = pz + 0.5 * len * uz;
    if (mz < 0 || mz > thickness) return; // left the silicon
    deposit(
      f.image,
      f.width,
      f.height,
      (px + 0.5 * len * ux) / pixelSize,
      (py + 0.5 * len * uy) / pixelSize,
      q,
      sigmaAt(f, mz),
    );
    px += len * ux;
    py += len * uy;
    pz += len * uz;
    // Scattering grows as the electron slows: rotate the direction by a random angle about a random axis.
    const theta = (0.25 + 0.75 * (1 - remaining)) * Math.abs(rng.normal());
    a = 2 * Math.PI * rng.next();
    // An orthonormal pair (e1, e2) perpendicular to u.
    let e1x: number, e1y: number, e1z: number;
    if (Math.abs(uz) < 0.9) {
      s = Math.sqrt(ux * ux + uy * uy);
      e1x = -uy / s, e1y = ux / s, e1z = 0;
    } else {
      s = Math.sqrt(uy * uy + uz * uz);
      e1x = 0, e1y = -uz / s, e1z = uy / s;
    }
    const e2x = uy * e1z - uz * e1y, e2y = uz * e1x - ux * e1z, e2z = ux * e1y - uy * e1x;
    const c = Math.cos(theta), sn = Math.sin(theta), ca = Math.cos(a), sa = Math.sin(a);
    ux = c * ux + sn * (ca * e1x + sa * e2x);
    uy = c * uy + sn * (ca * e1y + sa * e2y);
    uz = c * uz + sn * (ca * e1z + sa * e2z);
    const norm = 1 / Math.sqrt(ux * ux + uy * uy + uz * uz);
    ux *= norm, uy *= norm, uz *= norm;
  }
}

/** Adds the charge (e⁻) of `exposure` seconds of cosmic rays into `image`. Events start in the frame grown by a
 * margin (so tracks can enter from outside); the event count is Poisson(rate × grown area × exposure). */
export function addCosmics(
  image: Float32Array,
  width: number,
  height: number,
  ccd: Ccd,
  rates: CosmicRates,
  exposure: number,
  rng: Rng,
): CosmicStats {
  const f: Frame = { image, width, height, ccd };
  const margin = Math.ceil(Math.min(100, 3 * ccd.thickness / ccd.pixelSize));
  const w = width + 2 * margin, h = height + 2 * margin;
  const cm2 = w * h * (ccd.pixelSize * 1e-4) ** 2;
  let before = 0;
  for (let i = 0; i < image.length; i++) before += image[i];
  const muons = poisson(rng, rates.muons * cm2 * exposure);
  const electrons = poisson(rng, rates.electrons * cm2 * exposure);
  let deltaRays = 0;
  for (let k = 0; k < muons; k++) {
    deltaRays += muon(f, rng.uniform(-margin, width + margin), rng.uniform(-margin, height + margin), rng);
  }
  const logRatio = Math.log(ELECTRON_EMAX / ELECTRON_EMIN);
  for (let k = 0; k < electrons; k++) {
    const energy = ELECTRON_EMIN * Math.exp(logRatio * rng.next());
    const x = rng.uniform(-margin, width + margin), y = rng.uniform(-margin, height + margin);
    electron(f, x, y, ccd.thickness * rng.next(), energy, rng);
  }
  let after = 0;
  for (let i = 0; i < image.length; i++) after += image[i];
  return { muons, electrons, deltaRays, charge: after - before };
}
