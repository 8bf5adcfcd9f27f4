// Reports of the real-frame benchmark: one Markdown table per frame and pooled, the ROC figure per subset, and
// the whole result as JSON.
import { rocSvg } from "./plots.ts";
import { asEvalResult, type RealMetrics, type RealResult, type RealRow } from "./real.ts";
import { pct } from "./report.ts";

interface Column {
  title: string;
  value: (m: RealMetrics) => number | null;
}

function columns(r: RealResult): Column[] {
  const lac = r.rows.filter((row) => row.kind === "lacosmic" && row.name !== "LACosmic tuned").map((row) => row.name);
  return [
    { title: "TPR@0.01%FPR", value: (m) => m.tprAtFpr[0] },
    { title: "TPR@0.1%FPR", value: (m) => m.tprAtFpr[1] },
    { title: "TPR@1%FPR", value: (m) => m.tprAtFpr[2] },
    { title: "Precision@95%TPR", value: (m) => m.precisionAtTpr95 },
    ...lac.map((name) => ({
      title: `TPR@FPR of ${name.replace("LACosmic ", "LAC-")}`,
      value: (m: RealMetrics) => m.tprAtLacosmic[name] ?? null,
    })),
    { title: "F1 at its threshold", value: (m) => m.atThreshold?.f1 ?? null },
  ];
}

/** "9101 decam 1200 s; …", runs of the REAL_DARKS cycle shortened to "9101–9105, 9201–9205 (…)". */
function darkList(darks: readonly { seed: number; ccd: string; exposure: number }[]): string {
  if (darks.length <= 5) return darks.map((d) => `${d.seed} ${d.ccd} ${d.exposure} s`).join("; ");
  return `${darks.length} darks, seeds ${darks[0].seed} … ${darks[darks.length - 1].seed} (the REAL_DARKS cycle)`;
}

const label = (row: RealRow) => `${row.name}${row.dilate ? " †" : ""}`;

function heading(r: RealResult, subset: string): string {
  const s = r.subsets.find((x) => x.name === subset)!;
  const title = subset === "all" ? "pooled over every frame" : subset.replace("frame=", "");
  const fprs = r.rows.filter((row) => row.kind === "lacosmic" && row.name !== "LACosmic tuned")
    .map((row) => `${row.name} at FPR ${pct(row.subsets[subset].atThreshold?.fpr ?? null)}%`);
  return `${title} — ${s.cases} cases, ${s.pixels.toLocaleString("en-US")} pixels, ` +
    `${s.positives.toLocaleString("en-US")} CR pixels (${(100 * s.positives / Math.max(1, s.pixels)).toFixed(3)}%)` +
    (fprs.length ? `; ${fprs.join(", ")}` : "");
}

export function realMarkdown(r: RealResult): string {
  const cols = columns(r);
  const out = [
    "# Real-frame benchmark (`deno task bench:real`)",
    "",
    `Frames: ${r.frames.map((f) => `${f.name} (${f.width}×${f.height}, gain ${f.gain}, read noise ${f.readnoise}` +
      `${f.saturation !== null ? `, saturation ${f.saturation} ADU` : ""}; LACosmic cleaned ${f.cleaned} px)`).join("; ")}.`,
    ...r.frames.map((f) => `Darks of ${f.name} (seed, CCD, exposure): ${darkList(f.darks)}.`),
    "",
    "Values in %. " + r.notes.join(" "),
    "",
  ];
  for (const s of r.subsets) {
    out.push(`## ${heading(r, s.name)}`, "");
    out.push(`| Method | ${cols.map((c) => c.title).join(" | ")} |`);
    out.push(`|---|${cols.map(() => "---:").join("|")}|`);
    for (const row of r.rows) {
      const m = row.subsets[s.name];
      out.push(`| ${label(row)} | ${cols.map((c) => pct(c.value(m))).join(" | ")} |`);
    }
    out.push("");
  }
  const frameNotes = r.frames.flatMap((f) => f.notes.map((n) => `- ${f.name}: ${n}`));
  if (frameNotes.length) out.push("Notes:", "", ...frameNotes, "");
  return out.join("\n");
}

export function realRocSvgs(r: RealResult): Map<string, string> {
  const er = asEvalResult(r);
  const out = new Map<string, string>();
  for (const s of r.subsets) {
    const name = s.name === "all" ? "all" : s.name.replace("frame=", "");
    const title = `ROC — real frames, ${s.name === "all" ? "pooled" : name} (${s.cases} cases, ${s.positives} CR px)`;
    out.set(name, rocSvg(er, s.name, title));
  }
  return out;
}
