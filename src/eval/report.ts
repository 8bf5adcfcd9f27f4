// Reports of an evaluation: metrics.json, Markdown tables laid out like the paper's Tables 1–2 (rows = methods;
// TPR at 0.01% / 0.1% FPR, precision at 95% TPR, F1, IoU, FDR; one table per subset), a plain-text table for
// terminals, the ROC / PR figures, cutouts like the paper's Fig. 8, and one self-contained report.html.
import type { Cutout } from "./cutouts.ts";
import type { EvalResult, MethodResult, SubsetMetrics } from "./evaluate.ts";
import { FPR_TARGETS, TPR_TARGET } from "./metrics.ts";
import { esc, prSvg, rocSvg } from "./plots.ts";
import { dataUri, encodePngRgb, stretch } from "./png.ts";

interface Column {
  title: string;
  value: (s: SubsetMetrics) => number | null;
}

export const COLUMNS: readonly Column[] = [
  { title: "TPR@0.01%FPR", value: (s) => s.tprAtFpr1e4 },
  { title: "TPR@0.1%FPR", value: (s) => s.tprAtFpr1e3 },
  { title: "Precision@95%TPR", value: (s) => s.precisionAtTpr95 },
  { title: "F1", value: (s) => s.atThreshold.f1 },
  { title: "IoU", value: (s) => s.atThreshold.iou },
  { title: "FDR", value: (s) => s.atThreshold.fdr },
];

/** A fraction as a percentage with 2 decimals; "–" when undefined. */
export function pct(v: number | null): string {
  return v === null ? "–" : (100 * v).toFixed(2);
}

const DILATED_MARK = "†";
const methodLabel = (m: MethodResult) => `${m.name}${m.dilate ? ` ${DILATED_MARK}` : ""}`;

function subsetHeading(result: EvalResult, name: string): string {
  const s = result.subsets.find((x) => x.name === name);
  if (!s) return name;
  const frac = s.pixels > 0 ? ` (${(100 * s.positives / s.pixels).toFixed(3)}%)` : "";
  return `${name} — ${s.chunks} chunks, ${s.pixels.toLocaleString("en-US")} pixels, ` +
    `${s.positives.toLocaleString("en-US")} CR pixels${frac}` +
    (s.ignored ? `, ${s.ignored.toLocaleString("en-US")} ignored` : "");
}

function thresholdNote(result: EvalResult): string {
  const lac = result.methods.find((m) => m.kind === "lacosmic");
  const lacNote = lac
    ? ` (${lac.name}: its ${String(lac.details.fixed ?? "fixed")} run; its curve numbers are the best of its sigclip ` +
      `sweep)`
    : "";
  const dilated = result.methods.some((m) => m.dilate)
    ? ` ${DILATED_MARK} predictions dilated 3×3 before comparison.`
    : "";
  return `Values in %. TPR@FPR and precision@TPR from the exact ROC curve over every pixel; F1, IoU, FDR at ` +
    `p > ${result.threshold}${lacNote}.${dilated} – = undefined or not reached.`;
}

/** One Markdown table per subset, like the paper's Tables 1 and 2. */
export function markdownTables(result: EvalResult): string {
  const out: string[] = [`# CR detection — ${result.split} split`, "", thresholdNote(result), ""];
  for (const s of result.subsets) {
    out.push(`## ${subsetHeading(result, s.name)}`, "");
    out.push(`| Method | ${COLUMNS.map((c) => c.title).join(" | ")} |`);
    out.push(`|---|${COLUMNS.map(() => "---:").join("|")}|`);
    for (const m of result.methods) {
      const sm = m.subsets[s.name];
      if (sm) out.push(`| ${methodLabel(m)} | ${COLUMNS.map((c) => pct(c.value(sm))).join(" | ")} |`);
    }
    out.push("");
  }
  return out.join("\n");
}

/** Plain-text tables for a terminal (what `deno task train` and `deno task eval` print). */
export function formatTable(result: EvalResult): string {
  const out: string[] = [];
  const names = result.methods.map(methodLabel);
  const w0 = Math.max(6, ...names.map((n) => n.length));
  for (const s of result.subsets) {
    out.push(subsetHeading(result, s.name));
    const widths = COLUMNS.map((c) => Math.max(c.title.length, 6));
    out.push(["method".padEnd(w0), ...COLUMNS.map((c, i) => c.title.padStart(widths[i]))].join("  "));
    result.methods.forEach((m, j) => {
      const sm = m.subsets[s.name];
      if (sm) {
        out.push([names[j].padEnd(w0), ...COLUMNS.map((c, i) => pct(c.value(sm)).padStart(widths[i]))].join("  "));
      }
    });
    out.push("");
  }
  out.push(thresholdNote(result));
  return out.join("\n");
}

/** metrics.json: the result without the cutouts' pixels (their positions stay). */
export function metricsJson(result: EvalResult): string {
  const cutouts = result.cutouts.map(({ chunk, info, x0, y0, size }) => ({ chunk, info, x0, y0, size }));
  // Indented, but arrays of numbers (the plot curves) on one line each.
  const text = JSON.stringify({ ...result, cutouts }, null, 1);
  return text.replace(
    /\[\s*(-?[\d.e+-]+(?:,\s*-?[\d.e+-]+)*)\s*\]/g,
    (_, list: string) => `[${list.split(/,\s*/).join(",")}]`,
  ) +
    "\n";
}

type Rgb = [number, number, number];
const TP: Rgb = [255, 255, 255], FP: Rgb = [235, 45, 45], FN: Rgb = [45, 120, 255], TN: Rgb = [0, 0, 0];
const IGNORED: Rgb = [80, 80, 80];

/** Panels of one cutout, RGB, rows flipped (FITS row 0 at the bottom, as the simulator's previews). */
function panels(c: Cutout, methods: string[]): { title: string; rgb: Uint8Array }[] {
  const n = c.size;
  const make = (colour: (i: number) => Rgb) => {
    const rgb = new Uint8Array(n * n * 3);
    for (let y = 0; y < n; y++) {
      for (let x = 0; x < n; x++) rgb.set(colour(y * n + x), ((n - 1 - y) * n + x) * 3);
    }
    return rgb;
  };
  const grey = stretch(c.image);
  const out = [
    { title: "image", rgb: make((i) => [grey[i], grey[i], grey[i]]) },
    { title: "truth", rgb: make((i) => (c.ignore?.[i] ? IGNORED : c.truth[i] ? TP : TN)) },
  ];
  for (const m of methods) {
    const p = c.predictions[m];
    if (!p) continue;
    out.push({
      title: m,
      rgb: make((i) => (c.ignore?.[i] ? IGNORED : c.truth[i] ? (p[i] ? TP : FN) : p[i] ? FP : TN)),
    });
  }
  return out;
}

/** Nearest-neighbour upscaling of an RGB image. */
function upscale(rgb: Uint8Array, n: number, k: number): Uint8Array {
  const out = new Uint8Array(n * k * n * k * 3);
  for (let y = 0; y < n * k; y++) {
    for (let x = 0; x < n * k; x++) {
      out.set(
        rgb.subarray(((y / k | 0) * n + (x / k | 0)) * 3, ((y / k | 0) * n + (x / k | 0)) * 3 + 3),
        (y * n * k + x) * 3,
      );
    }
  }
  return out;
}

/** All cutouts in one PNG: one row per cutout, columns image, truth, then each method (gaps white). */
export async function cutoutsPng(result: EvalResult, scale = 3): Promise<Uint8Array | null> {
  if (result.cutouts.length === 0) return null;
  const methods = result.methods.map((m) => m.name);
  const rows = result.cutouts.map((c) => panels(c, methods).map((p) => upscale(p.rgb, c.size, scale)));
  const side = result.cutouts[0].size * scale, gap = 4;
  const cols = Math.max(...rows.map((r) => r.length));
  const w = cols * side + (cols - 1) * gap, h = rows.length * side + (rows.length - 1) * gap;
  const rgb = new Uint8Array(w * h * 3).fill(255);
  rows.forEach((row, r) =>
    row.forEach((p, c) => {
      for (let y = 0; y < side; y++) {
        rgb.set(p.subarray(y * side * 3, (y + 1) * side * 3), ((r * (side + gap) + y) * w + c * (side + gap)) * 3);
      }
    })
  );
  return await encodePngRgb(rgb, w, h);
}

function htmlTable(result: EvalResult, subset: string): string {
  const head = `<tr><th>Method</th>${COLUMNS.map((c) => `<th>${esc(c.title)}</th>`).join("")}</tr>`;
  const rows = result.methods.map((m) => {
    const sm = m.subsets[subset];
    if (!sm) return "";
    // Best value of each column in bold (FDR: lowest).
    return `<tr><td>${esc(methodLabel(m))}</td>${
      COLUMNS.map((c) => {
        const v = c.value(sm);
        const all = result.methods.map((x) => x.subsets[subset] ? c.value(x.subsets[subset]) : null)
          .filter((x): x is number => x !== null);
        const best = c.title === "FDR" ? Math.min(...all) : Math.max(...all);
        return `<td>${v !== null && v === best && all.length > 1 ? `<b>${pct(v)}</b>` : pct(v)}</td>`;
      }).join("")
    }</tr>`;
  });
  return `<table>${head}${rows.join("")}</table>`;
}

function rulesHtml(result: EvalResult): string {
  const lac = result.methods.find((m) => m.kind === "lacosmic");
  return `<ul>
<li>Every pixel of the ${esc(result.split)} split counts (no sampling); pixels under the dataset's ignore mask
(saturated, bad, NaN, skipped edge CRs) are left out of everything.</li>
<li><b>ROC / PR curves</b> have a point at every distinct score (a pixel is called a CR at threshold t when its score
≥ t). Points inside a run of thresholds that add only non-CR pixels lie on the straight segment between the run's
ends and are merged; no number changes. The figures show thinned copies; the numbers use the exact curve.</li>
<li><b>TPR@${FPR_TARGETS.map((f) => `${f * 100}%`).join(" / ")} FPR</b>: the TPR at the lowest threshold whose FPR is
≤ the target (the best TPR among curve points with FPR ≤ target); no interpolation.
<b>Precision@${TPR_TARGET * 100}%TPR</b>: the precision at the highest threshold whose TPR ≥ ${TPR_TARGET}.</li>
<li><b>F1, IoU, FDR</b> at p &gt; ${result.threshold}: F1 = 2TP/(2TP+FP+FN), IoU = TP/(TP+FP+FN),
FDR = FP/(TP+FP).</li>
<li><b>Dilation</b> (${DILATED_MARK}): predictions of methods not trained on 3×3-dilated masks get a 3×3 maximum
filter before comparison (for a score map this equals dilating the mask at every threshold).</li>
${
    lac
      ? `<li><b>${esc(lac.name)}</b>: one full run per sigclip (${esc(String(lac.details.sweep))}; sigfrac
${esc(String(lac.details.sigfrac))}, objlim ${esc(String(lac.details.objlim))}), masks dilated 3×3. Its TPR@FPR is
the best TPR among sweep points with FPR ≤ target (0 if none), its precision@95%TPR the best precision among points
with TPR ≥ 95% (– if none); F1/IoU/FDR come from the ${esc(String(lac.details.fixed))} run. Detector keywords:
${esc(String(lac.details.detector ?? "–"))}.</li>`
      : ""
  }
</ul>`;
}

async function cutoutsHtml(result: EvalResult): Promise<string> {
  if (result.cutouts.length === 0) return "<p>No chunk with enough CR pixels for a cutout.</p>";
  const methods = result.methods.map((m) => m.name);
  const rows: string[] = [];
  for (const c of result.cutouts) {
    const ps = panels(c, methods);
    const cells = await Promise.all(ps.map(async (p) => {
      const uri = dataUri(await encodePngRgb(p.rgb, c.size, c.size));
      return `<td><img src="${uri}" width="${c.size * 3}" height="${c.size * 3}" alt="${esc(p.title)}"></td>`;
    }));
    const where = [c.info.frame, c.info.band, c.info.telescope].filter((v) => v !== undefined).join(", ");
    rows.push(
      `<tr><th class="where">chunk ${c.chunk}<br>${esc(where)}<br>x ${c.x0}–${c.x0 + c.size}, y ${c.y0}–${
        c.y0 + c.size
      }</th>${cells.join("")}</tr>`,
    );
  }
  const head = ["image", "truth", ...methods].map((t) => `<th>${esc(t)}</th>`).join("");
  return `<p>Predictions at p &gt; ${result.threshold} (after dilation where marked ${DILATED_MARK}). White: CR found
(TP); <span style="color:#eb2d2d">red: false positive</span>; <span style="color:#2d78ff">blue: missed CR (false
negative)</span>; grey: ignored. Image: asinh stretch. Row 0 of the chunk at the bottom.</p>
<table class="cutouts"><tr><th></th>${head}</tr>${rows.join("\n")}</table>`;
}

/** One self-contained HTML page: tables, both figures per subset, cutouts, rules and method details. */
export async function reportHtml(result: EvalResult, title = "CR detection — evaluation"): Promise<string> {
  const sections = result.subsets.map((s) =>
    `<h3>${esc(subsetHeading(result, s.name))}</h3>${htmlTable(result, s.name)}
<div class="figs">${rocSvg(result, s.name)}${prSvg(result, s.name)}</div>`
  );
  const methods = result.methods.map((m) =>
    `<li><b>${esc(m.name)}</b> (${m.kind}${m.dilate ? ", dilated 3×3" : ""}; ${m.seconds.toFixed(1)} s): ${
      esc(Object.entries(m.details).map(([k, v]) => `${k} ${v}`).join("; "))
    }</li>`
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>
body { font-family: Helvetica, Arial, sans-serif; margin: 2em auto; max-width: 1320px; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1em; }
th, td { padding: 3px 10px; border-bottom: 1px solid #ddd; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.figs svg { margin: 0 12px 12px 0; border: 1px solid #eee; }
.cutouts td { padding: 2px; border: none; }
.cutouts img { image-rendering: pixelated; display: block; }
.cutouts th { text-align: center; font-weight: normal; }
.cutouts th.where { text-align: left; font-size: 12px; }
</style></head><body>
<h1>${esc(title)}</h1>
<p>${esc(result.split)} split, ${result.patch}² chunks. ${esc(thresholdNote(result))}</p>
${result.notes.map((n) => `<p><b>Note:</b> ${esc(n)}</p>`).join("\n")}
<h2>Results</h2>
${sections.join("\n")}
<h2>Cutouts</h2>
${await cutoutsHtml(result)}
<h2>How the numbers are computed</h2>
${rulesHtml(result)}
<h2>Methods</h2>
<ul>${methods.join("\n")}</ul>
</body></html>
`;
}

/**
 * Writes metrics.json, table.md, roc.svg, pr.svg (subset "all"), cutouts.png and report.html into `dir`
 * (created if needed); returns the paths written.
 */
export async function writeReport(result: EvalResult, dir: string): Promise<string[]> {
  await Deno.mkdir(dir, { recursive: true });
  const path = (f: string) => `${dir.replace(/\/+$/, "")}/${f}`;
  const files: [string, string | Uint8Array | null][] = [
    ["metrics.json", metricsJson(result)],
    ["table.md", markdownTables(result)],
    ["roc.svg", rocSvg(result)],
    ["pr.svg", prSvg(result)],
    ["cutouts.png", await cutoutsPng(result)],
    ["report.html", await reportHtml(result)],
  ];
  const written: string[] = [];
  for (const [name, data] of files) {
    if (data === null) continue;
    if (typeof data === "string") await Deno.writeTextFile(path(name), data);
    else await Deno.writeFile(path(name), data);
    written.push(path(name));
  }
  return written;
}
