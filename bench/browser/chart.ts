// HTML tables and horizontal SVG bar charts for the benchmark page (plain strings, no library).

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

export interface Bar {
  label: string;
  value: number;
  /** Bars of one group share a colour (e.g. one pass, one size). */
  group: string;
}

const COLOURS = ["#3b6fd4", "#e0823a", "#3aa27a", "#b04fc2", "#c9b22c", "#d6455b"];

/** Horizontal bars, one row per bar, value printed at the end; a legend when there are several groups. */
export function barChart(bars: Bar[], unit: string, title: string): string {
  const groups = [...new Set(bars.map((b) => b.group))];
  const colour = (g: string) => COLOURS[groups.indexOf(g) % COLOURS.length];
  const max = Math.max(...bars.map((b) => (Number.isFinite(b.value) ? b.value : 0)), 1e-9);
  const labelW = 250, plotW = 420, row = 18, top = 40;
  const legend = groups.length > 1 ? 22 : 0;
  const height = top + legend + bars.length * row + 24;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${labelW + plotW + 90}" height="${height}" ` +
    `font-family="system-ui, sans-serif" font-size="12" role="img" aria-label="${esc(title)}">`,
    `<text x="0" y="16" font-size="14" font-weight="600">${esc(title)}</text>`,
  ];
  if (groups.length > 1) {
    let x = 0;
    for (const g of groups) {
      parts.push(`<rect x="${x}" y="${top - 12}" width="10" height="10" fill="${colour(g)}"/>`);
      parts.push(`<text x="${x + 14}" y="${top - 3}">${esc(g)}</text>`);
      x += 24 + 7 * g.length;
    }
  }
  bars.forEach((b, i) => {
    const y = top + legend + i * row;
    const w = Number.isFinite(b.value) ? Math.max(1, (b.value / max) * plotW) : 0;
    parts.push(`<text x="${labelW - 6}" y="${y + 12}" text-anchor="end">${esc(b.label)}</text>`);
    parts.push(`<rect x="${labelW}" y="${y + 2}" width="${w.toFixed(1)}" height="${row - 5}" fill="${colour(b.group)}"/>`);
    parts.push(`<text x="${labelW + w + 4}" y="${y + 12}">${fmt(b.value)}</text>`);
  });
  const axisY = top + legend + bars.length * row + 4;
  parts.push(`<line x1="${labelW}" y1="${top + legend}" x2="${labelW}" y2="${axisY}" stroke="#888"/>`);
  parts.push(`<text x="${labelW + plotW}" y="${axisY + 14}" text-anchor="end" fill="#555">${esc(unit)}</text>`);
  parts.push("</svg>");
  return parts.join("\n");
}

export function fmt(v: number): string {
  if (!Number.isFinite(v)) return "–";
  if (Number.isInteger(v) && Math.abs(v) < 1e6) return String(v);
  const a = Math.abs(v);
  return a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : a >= 0.1 ? v.toFixed(2) : v.toPrecision(2);
}

/** A table from a header row and rows of cells (numbers formatted, right-aligned). */
export function table(head: string[], rows: (string | number)[][]): string {
  const cell = (c: string | number, tag: string) =>
    typeof c === "number" ? `<${tag} class="num">${fmt(c)}</${tag}>` : `<${tag}>${esc(c)}</${tag}>`;
  return `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join("")}</tr></thead><tbody>` +
    rows.map((r) => `<tr>${r.map((c) => cell(c, "td")).join("")}</tr>`).join("") + "</tbody></table>";
}
