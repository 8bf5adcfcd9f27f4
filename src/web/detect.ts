// The detection page (dist/detect.html): a FITS file in (dropped or picked; read by our FITS reader from its bytes),
// a UNet checkpoint (the shipped models/default.safetensors, a published one under /shared/ when served, or a dropped
// .pth / .safetensors), detection on this browser's WebGPU, the image shown with a zscale or asinh stretch and the CR
// mask over it, a threshold slider that re-thresholds the stored probabilities, and the mask as a FITS download.
// Query string: ?fits=URL&model=URL[&variant=…&normalize=…&threshold=…&hdu=N][&run] preloads and optionally runs.
// The library comes from ./crgpu.js (build.ts maps ../browser.ts to it), so the page shares one WebGPU runtime.
import {
  CheckpointError,
  crMask,
  detect,
  DetectError,
  FitsError,
  type FitsFile,
  type FitsImage,
  GpuError,
  init,
  type Normalize,
  type OpenedModel,
  openModel,
  parseNormalize,
  SettingsError,
  readFits,
  readImage,
  VARIANTS,
  type VariantName,
} from "../browser.ts";
import {
  fetchBytes,
  fileName,
  imageChoices,
  isCheckpointName,
  KNOWN_MODELS,
  looksLikeCheckpoint,
  maskFits,
  type ModelSource,
} from "./io.ts";
import { greyLevels, type Stretch } from "./stretch.ts";
import { Viewer } from "./viewer.ts";

const $ = <T extends HTMLElement = HTMLElement>(id: string) => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`detect.html has no #${id}`);
  return el as T;
};

interface Result {
  probabilities: Float32Array;
  width: number;
  height: number;
  modelName: string;
  variant: VariantName;
  normalize: Normalize;
  normalizeFrom: string;
  seconds: number;
  tiles: number;
  nonFinite: number;
  source: string;
}

/** State the headless test reads (window.crgpuDetect). */
interface PageState {
  result: Result | null;
  mask: Uint8Array | null;
  flagged: number;
  threshold: number;
}

const state = {
  file: null as FitsFile | null,
  image: null as FitsImage | null,
  models: new Map<string, ModelSource>(),
  loaded: null as (OpenedModel & { key: string }) | null,
  /** The threshold was given (query string or slider): a model's card no longer sets it. */
  thresholdChosen: false,
  result: null as Result | null,
  mask: null as Uint8Array | null,
  busy: false,
};
const exposed: PageState = { result: null, mask: null, flagged: 0, threshold: 0.5 };
(globalThis as { crgpuDetect?: PageState }).crgpuDetect = exposed;

let viewer: Viewer;
/** Detections run in this page (the first one also compiles the pipelines). */
let runs = 0;

function setState(s: "idle" | "loading" | "running" | "done" | "error"): void {
  document.body.dataset.state = s;
}

function message(text: string, kind: "info" | "error" = "info"): void {
  const el = $("message");
  el.textContent = text;
  el.className = text ? kind : "";
  if (kind === "error") setState("error");
}

/** Errors our modules raise name the file and the problem; anything else is shown with its type. */
function describe(e: unknown): string {
  const known = [FitsError, CheckpointError, SettingsError, DetectError, GpuError, RangeError];
  if (known.some((k) => e instanceof k)) return (e as Error).message;
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

const fmtSize = (w: number, h: number) => `${w} × ${h}`;

// ---- FITS ----

async function openFits(name: string, bytes: Uint8Array): Promise<void> {
  setState("loading");
  message(`reading ${name}…`);
  const file = await readFits(bytes, name);
  const images = imageChoices(file);
  if (images.length === 0) {
    const hdus = file.hdus.map((h) => `${h.index} ${h.extname ?? h.type} (${h.naxis.join("×") || "no data"})`);
    throw new FitsError(name, `no HDU holds a 2-D image (HDUs: ${hdus.join("; ")})`);
  }
  state.file = file;
  const select = $<HTMLSelectElement>("hdu");
  select.innerHTML = "";
  for (const c of images) select.add(new Option(c.label, c.value));
  $("hdu-row").hidden = images.length < 2;
  $("file-name").textContent = name;
  await showHdu(select.value);
}

async function showHdu(value: string): Promise<void> {
  const [hdu, plane] = value.split(":").map(Number);
  const image = await readImage(state.file!, hdu, { plane });
  state.image = image;
  clearResult();
  const finite = image.data.reduce((n, v) => n + (Number.isFinite(v) ? 1 : 0), 0);
  $("image-info").textContent = `${fmtSize(image.width, image.height)} px` +
    (finite < image.data.length ? `, ${image.data.length - finite} NaN/Inf` : "");
  redrawImage();
  $("empty").hidden = true;
  updateButtons();
  setState("idle");
  message(`${state.file!.fileName}: HDU ${image.hdu}${image.extname ? ` '${image.extname}'` : ""} loaded. ` +
    (state.models.size ? "Press Detect." : "Choose a model."));
}

function redrawImage(): void {
  if (!state.image) return;
  const stretch = $<HTMLSelectElement>("stretch").value as Stretch;
  const { grey, lo, hi, a } = greyLevels(state.image.data, stretch);
  viewer.setImage(grey, state.image.width, state.image.height);
  viewer.setMask(state.mask);
  $("stretch-info").textContent = `${stretch} ${lo.toPrecision(4)} … ${hi.toPrecision(4)}` +
    (a === undefined ? "" : `, a = ${a.toPrecision(2)}`);
}

// ---- models ----

function addModel(src: ModelSource, select = true): void {
  const key = src.url ?? `file:${src.name}`;
  state.models.set(key, src);
  const sel = $<HTMLSelectElement>("model");
  if (![...sel.options].some((o) => o.value === key)) sel.add(new Option(src.label, key));
  if (select) sel.value = key;
  $("no-model").hidden = true;
  updateButtons();
}

/** Offers the checkpoints the server has (a HEAD request each). */
async function discoverModels(): Promise<void> {
  const found = await Promise.all(KNOWN_MODELS.map(async (m) => {
    try {
      const r = await fetch(m.url, { method: "HEAD" });
      return r.ok ? m : null;
    } catch {
      return null;
    }
  }));
  let first = true;
  for (const m of found) {
    if (!m) continue;
    const url = new URL(m.url, location.href).href;
    addModel({ name: fileName(url), label: m.label, url }, first && !$<HTMLSelectElement>("model").value);
    first = false;
  }
  if (state.models.size === 0) $("no-model").hidden = false;
}

async function modelFor(key: string, variant: VariantName | "auto") {
  const want = `${key}|${variant}`;
  if (state.loaded?.key === want) return state.loaded;
  state.loaded?.model.release();
  state.loaded = null;
  const src = state.models.get(key)!;
  src.bytes ??= await fetchBytes(src.url!, "model");
  if (!looksLikeCheckpoint(src.bytes)) {
    throw new CheckpointError(src.name, "is not a model checkpoint (neither a PyTorch .pth zip nor safetensors)");
  }
  const loaded = await openModel(src.bytes, src.name, { variant });
  state.loaded = { key: want, ...loaded };
  return state.loaded;
}

// ---- detection ----

async function runDetection(): Promise<void> {
  if (state.busy || !state.image) return;
  const key = $<HTMLSelectElement>("model").value;
  if (!key) {
    message("Choose a model first: drop a .pth or .safetensors file, or pick one from the list.", "error");
    return;
  }
  state.busy = true;
  updateButtons();
  setState("running");
  const progress = $<HTMLProgressElement>("progress");
  progress.hidden = false;
  progress.removeAttribute("value");
  try {
    await init();
    $("adapter").textContent = await adapterLabel();
    message("loading the model…");
    const variantChoice = $<HTMLSelectElement>("variant").value as VariantName | "auto";
    const { model, variant, settings } = await modelFor(key, variantChoice);
    const { normalize, from } = chooseNormalize(settings.normalize, settings.from.normalize);
    // The model's operating threshold (its card), as `deno task detect` uses it, unless one was chosen here.
    if (!state.thresholdChosen) $<HTMLInputElement>("threshold").value = String(settings.threshold);
    const image = state.image;
    message(`detecting with ${state.models.get(key)!.label} (${variant}, normalize ${normalize})…`);
    const t0 = performance.now();
    const res = await detect(model, image.data as Float32Array, image.width, image.height, {
      normalize,
      onProgress: (done, total) => {
        progress.max = total;
        progress.value = done;
        message(`detecting: tile ${done} of ${total}…`);
      },
    });
    const seconds = (performance.now() - t0) / 1000;
    runs++;
    state.result = {
      probabilities: res.probabilities,
      width: image.width,
      height: image.height,
      modelName: state.models.get(key)!.name,
      variant,
      normalize,
      normalizeFrom: from,
      seconds,
      tiles: res.tiles,
      nonFinite: res.nonFinite,
      source: `${state.file!.fileName} HDU ${image.hdu}${image.extname ? ` '${image.extname}'` : ""}`,
    };
    exposed.result = state.result;
    $("timing-note").textContent = runs === 1 ? "the first run includes compiling the GPU kernels" : "";
    applyThreshold();
    message("");
    setState("done");
  } catch (e) {
    message(describe(e), "error");
  } finally {
    state.busy = false;
    progress.hidden = true;
    updateButtons();
  }
}

/** "vendor / architecture / description" of the WebGPU adapter (Chrome leaves some of them empty). */
async function adapterLabel(): Promise<string> {
  const a = await navigator.gpu.requestAdapter();
  const info = a?.info;
  return info ? [info.vendor, info.architecture, info.description].filter((s) => s).join(" / ") : "unknown";
}

/** The page's choice, else the model's own setting (src/app/settings.ts, as `deno task detect`). */
function chooseNormalize(own: Normalize, ownFrom: string): { normalize: Normalize; from: string } {
  const choice = $<HTMLSelectElement>("normalize").value;
  if (choice !== "auto") return { normalize: parseNormalize(choice), from: "chosen" };
  return { normalize: own, from: ownFrom };
}

function threshold(): number {
  return Number($<HTMLInputElement>("threshold").value);
}

/** Re-thresholds the stored probabilities (no model run) and redraws the overlay and the counts. */
function applyThreshold(): void {
  const t = threshold();
  // Two decimals, or three for a card's value such as 0.479008 (the slider keeps it exactly: step "any").
  $("threshold-value").textContent = Math.abs(t * 100 - Math.round(t * 100)) < 1e-9 ? t.toFixed(2) : t.toFixed(3);
  exposed.threshold = t;
  const r = state.result;
  if (!r) return;
  state.mask = crMask(r.probabilities, t);
  const flagged = state.mask.reduce((a, b) => a + b, 0);
  exposed.mask = state.mask;
  exposed.flagged = flagged;
  viewer.setMask(state.mask);
  const total = r.width * r.height;
  const flaggedEl = $("flagged");
  flaggedEl.textContent = `${flagged.toLocaleString("en")} px (${(100 * flagged / total).toFixed(3)}%)`;
  flaggedEl.dataset.count = String(flagged);
  $("timing").textContent = `${r.seconds.toFixed(2)} s, ${(total / 1e6 / r.seconds).toFixed(3)} MP/s` +
    (r.tiles > 1 ? `, ${r.tiles} tiles` : "");
  $("model-info").textContent = `${r.modelName} · ${r.variant} · normalize ${r.normalize} (${r.normalizeFrom})` +
    (r.nonFinite ? ` · ${r.nonFinite} NaN/Inf pixels: p = 0` : "");
  $("results").hidden = false;
}

// ---- mask download ----

function downloadMask(): void {
  const r = state.result, image = state.image, mask = state.mask;
  if (!r || !image || !mask) return;
  try {
    const bytes = maskFits(image, r, mask, threshold());
    const base = state.file!.fileName.replace(/\.(fits?|fts)(\.gz)?$/i, "");
    const a = document.createElement("a");
    a.href = URL.createObjectURL(new Blob([bytes.slice().buffer], { type: "application/fits" }));
    a.download = `${base}_crmask.fits`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  } catch (e) {
    message(describe(e), "error");
  }
}

// ---- wiring ----

function clearResult(): void {
  state.result = null;
  state.mask = null;
  exposed.result = null;
  exposed.mask = null;
  exposed.flagged = 0;
  $("results").hidden = true;
  viewer.setMask(null);
}

function updateButtons(): void {
  $<HTMLButtonElement>("run").disabled = state.busy || !state.image || !$<HTMLSelectElement>("model").value;
  $<HTMLButtonElement>("download-mask").disabled = state.busy || !state.result;
}

async function takeFiles(files: FileList | File[]): Promise<void> {
  for (const f of Array.from(files)) {
    try {
      const bytes = new Uint8Array(await f.arrayBuffer());
      if (isCheckpointName(f.name) || looksLikeCheckpoint(bytes)) {
        addModel({ name: f.name, label: `${f.name} (your file)`, bytes });
        message(`model ${f.name} added${state.image ? ": press Detect" : ""}.`);
      } else {
        await openFits(f.name, bytes);
      }
    } catch (e) {
      message(describe(e), "error");
    }
  }
}

function wire(): void {
  viewer = new Viewer($<HTMLCanvasElement>("view"));
  viewer.onHover = (h) => {
    const el = $("hover");
    if (!h || !state.image) {
      el.textContent = "";
      return;
    }
    const i = h.y * state.image.width + h.x;
    const p = state.result ? `  p ${state.result.probabilities[i].toFixed(3)}` : "";
    el.textContent = `x ${h.x + 1}  y ${h.y + 1}  value ${state.image.data[i].toPrecision(6)}${p}`;
  };
  $<HTMLInputElement>("fits-input").onchange = (e) => takeFiles((e.target as HTMLInputElement).files ?? []);
  $<HTMLInputElement>("model-input").onchange = (e) => takeFiles((e.target as HTMLInputElement).files ?? []);
  $<HTMLSelectElement>("hdu").onchange = (e) =>
    showHdu((e.target as HTMLSelectElement).value).catch((err) => message(describe(err), "error"));
  $<HTMLSelectElement>("model").onchange = updateButtons;
  $<HTMLButtonElement>("run").onclick = runDetection;
  $<HTMLInputElement>("threshold").oninput = () => {
    state.thresholdChosen = true;
    applyThreshold();
  };
  $<HTMLSelectElement>("stretch").onchange = redrawImage;
  $<HTMLInputElement>("opacity").oninput = (e) => {
    viewer.overlayStyle.opacity = Number((e.target as HTMLInputElement).value);
    viewer.draw();
  };
  $<HTMLInputElement>("overlay").onchange = (e) => {
    viewer.overlayStyle.visible = (e.target as HTMLInputElement).checked;
    viewer.draw();
  };
  $<HTMLInputElement>("colour").oninput = (e) => {
    const hex = (e.target as HTMLInputElement).value;
    viewer.overlayStyle.colour = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as [number, number, number];
    viewer.setMask(state.mask);
  };
  $<HTMLButtonElement>("download-mask").onclick = downloadMask;
  $<HTMLButtonElement>("fit").onclick = () => viewer.fit();
  $<HTMLButtonElement>("zoom-in").onclick = () => viewer.zoomBy(2);
  $<HTMLButtonElement>("zoom-out").onclick = () => viewer.zoomBy(0.5);
  const variant = $<HTMLSelectElement>("variant");
  for (const v of Object.keys(VARIANTS)) variant.add(new Option(v, v));
  // Drop anywhere on the page.
  const drop = $("drop");
  addEventListener("dragover", (e) => {
    e.preventDefault();
    drop.classList.add("over");
  });
  addEventListener("dragleave", (e) => {
    if (e.relatedTarget === null) drop.classList.remove("over");
  });
  addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    if (e.dataTransfer?.files.length) void takeFiles(e.dataTransfer.files);
  });
}

async function fromQuery(): Promise<void> {
  const q = new URLSearchParams(location.search);
  for (const [k, id] of [["variant", "variant"], ["normalize", "normalize"], ["threshold", "threshold"], ["stretch", "stretch"]]) {
    const v = q.get(k);
    if (v !== null) ($(id) as HTMLInputElement | HTMLSelectElement).value = v;
    if (v !== null && k === "threshold") state.thresholdChosen = true;
  }
  const model = q.get("model");
  if (model) {
    const url = new URL(model, location.href).href;
    addModel({ name: fileName(url), label: fileName(url), url });
  }
  const fits = q.get("fits");
  if (fits) {
    const url = new URL(fits, location.href).href;
    await openFits(fileName(url), await fetchBytes(url, "FITS file"));
    const hdu = q.get("hdu");
    if (hdu !== null) {
      $<HTMLSelectElement>("hdu").value = `${hdu}:0`;
      await showHdu(`${hdu}:0`);
    }
    if (q.has("run")) await runDetection();
  }
}

async function main(): Promise<void> {
  wire();
  applyThreshold();
  updateButtons();
  if (!navigator.gpu) {
    message("This browser has no WebGPU (navigator.gpu is undefined): use Chrome or Edge 113+, or Safari 26 / " +
      "Firefox 141+ where WebGPU is enabled. The page must be served over https or from localhost.", "error");
    return;
  }
  setState("idle");
  await discoverModels();
  try {
    await fromQuery();
  } catch (e) {
    message(describe(e), "error");
  }
  updateButtons();
  document.body.dataset.ready = "1";
}

void main();
