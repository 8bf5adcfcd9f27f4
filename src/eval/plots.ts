// Paper-style figures as standalone SVG (no dependencies): the ROC curve (TPR against FPR on a log axis from 1e-6
// to 1) and the precision–recall curve, one line per method; LACosmic's sweep as markers joined by a dashed line.
import type { EvalResult, MethodResult } from "./evaluate.ts";

const W = 640, H = 480, L = 64, R = 16, T = 36, B = 52;
const PW = W - L - R, PH = H - T - B;
/** Colour-blind-friendly palette (Okabe–Ito), then tab10 grey, brown, cyan and olive (12 methods before a repeat). */
const COLORS = [
  "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442", "#7f7f7f",
  "#8c564b", "#17becf", "#bcbd22",
];

export function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

const r2 = (v: number) => Math.round(v * 100) / 100;

interface Axis {
  /** Data value → pixel. */
  map: (v: number) => number;
  ticks: { at: number; label: string; major: boolean }[];
}

const SUPERSCRIPT: Record<string, string> = {
  "-": "⁻",
  "0": "⁰",
  "1": "¹",
  "2": "²",
  "3": "³",
  "4": "⁴",
  "5": "⁵",
  "6": "⁶",
};

function logAxis(lo: number, hi: number, px0: number, px1: number): Axis {
  const a = Math.log10(lo), b = Math.log10(hi);
  const ticks: Axis["ticks"] = [];
  for (let d = Math.ceil(a); d <= b; d++) {
    ticks.push({ at: 10 ** d, label: `10${[...String(d)].map((c) => SUPERSCRIPT[c] ?? c).join("")}`, major: true });
    for (let k = 2; k <= 9 && d < b; k++) ticks.push({ at: k * 10 ** d, label: "", major: false });
  }
  return { map: (v) => px0 + ((Math.log10(Math.max(v, lo)) - a) / (b - a)) * (px1 - px0), ticks };
}

function linearAxis(lo: number, hi: number, px0: number, px1: number): Axis {
  const ticks: Axis["ticks"] = [];
  for (let v = Math.ceil(lo * 20 - 1e-9) / 20; v <= hi + 1e-9; v += 0.05) {
    const major = Math.abs(Math.round(v * 10) - v * 10) < 1e-6;
    ticks.push({ at: v, label: major ? v.toFixed(1) : "", major });
  }
  return { map: (v) => px0 + ((v - lo) / (hi - lo)) * (px1 - px0), ticks };
}

interface Series {
  name: string;
  x: number[];
  y: number[];
  markers: boolean;
  color: string;
}

interface Frame {
  title: string;
  xLabel: string;
  yLabel: string;
  x: Axis;
  y: Axis;
  /** Vertical reference lines (x value, label). */
  refs: [number, string][];
  /** Preferred legend corner; another place is taken if the curves pass under it. */
  legend: "lower right" | "lower left";
  /** Unique per figure, so several SVGs can sit in one HTML page. */
  id: string;
}

function svgPlot(frame: Frame, series: Series[]): string {
  const { x, y } = frame;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" ` +
    `font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<defs><clipPath id="${frame.id}"><rect x="${L}" y="${T}" width="${PW}" height="${PH}"/></clipPath></defs>`,
    `<text x="${L + PW / 2}" y="22" text-anchor="middle" font-size="14">${esc(frame.title)}</text>`,
  ];
  for (const t of x.ticks) {
    const px = r2(x.map(t.at));
    out.push(`<line x1="${px}" y1="${T}" x2="${px}" y2="${T + PH}" stroke="${t.major ? "#d0d0d0" : "#eeeeee"}"/>`);
    if (t.label) out.push(`<text x="${px}" y="${T + PH + 16}" text-anchor="middle">${esc(t.label)}</text>`);
  }
  for (const t of y.ticks) {
    const py = r2(y.map(t.at));
    out.push(`<line x1="${L}" y1="${py}" x2="${L + PW}" y2="${py}" stroke="${t.major ? "#d0d0d0" : "#eeeeee"}"/>`);
    if (t.label) out.push(`<text x="${L - 6}" y="${py + 4}" text-anchor="end">${esc(t.label)}</text>`);
  }
  for (const [v, label] of frame.refs) {
    const px = r2(x.map(v));
    out.push(`<line x1="${px}" y1="${T}" x2="${px}" y2="${T + PH}" stroke="#888" stroke-dasharray="3 3"/>`);
    // Label right of the line, or left of it near the right edge.
    const right = px < L + PW - 60;
    out.push(
      `<text x="${right ? px + 3 : px - 3}" y="${T + 12}" fill="#666" font-size="10"` +
        `${right ? "" : ` text-anchor="end"`}>${esc(label)}</text>`,
    );
  }
  out.push(`<rect x="${L}" y="${T}" width="${PW}" height="${PH}" fill="none" stroke="#333"/>`);
  out.push(`<g clip-path="url(#${frame.id})" fill="none" stroke-linejoin="round">`);
  for (const s of series) {
    if (s.x.length === 0) continue;
    const pts = s.x.map((v, i) => `${r2(x.map(v))},${r2(y.map(s.y[i]))}`).join(" ");
    out.push(
      `<polyline points="${pts}" stroke="${s.color}" stroke-width="${s.markers ? 1.2 : 1.8}"` +
        `${s.markers ? ` stroke-dasharray="5 3"` : ""}/>`,
    );
    if (s.markers) {
      for (let i = 0; i < s.x.length; i++) {
        out.push(
          `<circle cx="${r2(x.map(s.x[i]))}" cy="${
            r2(y.map(s.y[i]))
          }" r="3.2" fill="white" stroke="${s.color}" stroke-width="1.4"/>`,
        );
      }
    }
  }
  out.push(`</g>`);
  out.push(`<text x="${L + PW / 2}" y="${H - 12}" text-anchor="middle" font-size="13">${esc(frame.xLabel)}</text>`);
  out.push(
    `<text transform="translate(16 ${T + PH / 2}) rotate(-90)" text-anchor="middle" font-size="13">${
      esc(frame.yLabel)
    }</text>`,
  );
  // Legend box.
  const rowH = 17, lw = Math.max(...series.map((s) => s.name.length), 4) * 6.6 + 42, lh = series.length * rowH + 8;
  const [lx, ly] = legendPlace(frame, series, lw, lh);
  out.push(
    `<rect x="${r2(lx)}" y="${ly}" width="${r2(lw)}" height="${lh}" fill="white" fill-opacity="0.9" stroke="#999"/>`,
  );
  series.forEach((s, i) => {
    const cy = ly + 4 + rowH * i + rowH / 2;
    out.push(
      `<line x1="${r2(lx + 8)}" y1="${cy}" x2="${r2(lx + 30)}" y2="${cy}" stroke="${s.color}" stroke-width="1.8"` +
        `${s.markers ? ` stroke-dasharray="5 3"` : ""}/>`,
    );
    if (s.markers) {
      out.push(`<circle cx="${r2(lx + 19)}" cy="${cy}" r="3.2" fill="white" stroke="${s.color}" stroke-width="1.4"/>`);
    }
    out.push(`<text x="${r2(lx + 36)}" y="${cy + 4}">${esc(s.name)}</text>`);
  });
  out.push(`</svg>`);
  return out.join("\n") + "\n";
}

/** The legend position (preferred corner first) covering the fewest plotted points. */
function legendPlace(frame: Frame, series: Series[], lw: number, lh: number): [number, number] {
  const left = L + 10, right = L + PW - lw - 10, top = T + 10, bottom = T + PH - lh - 10, middle = T + (PH - lh) / 2;
  const corners: [number, number][] = frame.legend === "lower right"
    ? [[right, bottom], [left, bottom], [right, middle], [right, top], [left, top], [left, middle]]
    : [[left, bottom], [right, bottom], [right, middle], [right, top], [left, top], [left, middle]];
  let best = corners[0], fewest = Infinity;
  for (const [x, y] of corners) {
    let n = 0;
    for (const s of series) {
      for (let i = 0; i < s.x.length; i++) {
        const px = frame.x.map(s.x[i]), py = frame.y.map(s.y[i]);
        if (px >= x - 4 && px <= x + lw + 4 && py >= y - 4 && py <= y + lh + 4) n++;
      }
    }
    if (n < fewest) (fewest = n), (best = [x, y]);
  }
  return best;
}

function seriesOf(methods: MethodResult[], subset: string, which: "roc" | "pr"): Series[] {
  return methods.flatMap((m, i) => {
    const s = m.subsets[subset];
    if (!s) return [];
    const c = s[which];
    return [{ name: m.name, x: c.x, y: c.y, markers: m.kind === "lacosmic", color: COLORS[i % COLORS.length] }];
  });
}

const clipId = (kind: string, subset: string) => `clip-${kind}-${subset.replace(/[^A-Za-z0-9_-]/g, "_")}`;

function subtitle(result: EvalResult, subset: string): string {
  const info = result.subsets.find((s) => s.name === subset);
  return `${result.split} split, ${subset}${info ? ` (${info.chunks} chunks, ${info.positives} CR pixels)` : ""}`;
}

/** Lower end of the TPR axis: the lowest TPR at FPR ≥ 1e-5 over the methods, rounded down to 0.1. */
function tprFloor(series: Series[]): number {
  let lo = 1;
  for (const s of series) {
    for (let i = 0; i < s.x.length; i++) if (s.x[i] >= 1e-5) lo = Math.min(lo, s.y[i]);
  }
  return Math.max(0, Math.min(0.9, Math.floor(lo * 10 - 1e-9) / 10));
}

/** ROC: TPR against FPR (log axis 1e-6 … 1), dashed lines at the paper's 0.01% and 0.1% FPR. */
export function rocSvg(result: EvalResult, subset = "all", title?: string): string {
  const series = seriesOf(result.methods, subset, "roc");
  const y0 = tprFloor(series);
  return svgPlot({
    title: title ?? `ROC — ${subtitle(result, subset)}`,
    xLabel: "false positive rate (FPR)",
    yLabel: "true positive rate (TPR)",
    x: logAxis(1e-6, 1, L, L + PW),
    y: linearAxis(y0, 1, T + PH, T),
    refs: [[1e-4, "0.01%"], [1e-3, "0.1%"]],
    legend: "lower right",
    id: clipId("roc", subset),
  }, series);
}

/** Precision against recall (both 0 … 1). */
export function prSvg(result: EvalResult, subset = "all"): string {
  const series = seriesOf(result.methods, subset, "pr");
  return svgPlot({
    title: `Precision–recall — ${subtitle(result, subset)}`,
    xLabel: "recall (TPR)",
    yLabel: "precision",
    x: linearAxis(0, 1, L, L + PW),
    y: linearAxis(0, 1, T + PH, T),
    refs: [[0.95, "95% TPR"]],
    legend: "lower left",
    id: clipId("pr", subset),
  }, series);
}
