// Training curves as a standalone SVG: train and validation loss per epoch (log y axis), with the epochs where the
// learning rate dropped and where BatchNorm froze marked.

export interface LossPoint {
  epoch: number;
  trainLoss: number;
  valLoss: number;
  lr: number;
  bn?: string;
}

const W = 640, H = 400, L = 70, R = 20, T = 30, B = 50;

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

export function lossCurveSvg(points: readonly LossPoint[], title = "training loss"): string {
  const vals = points.flatMap((p) => [p.trainLoss, p.valLoss]).filter((v) => v > 0 && Number.isFinite(v));
  const lo = Math.log10(vals.length ? Math.min(...vals) : 0.01), hi = Math.log10(vals.length ? Math.max(...vals) : 1);
  const y0 = Math.floor(lo), y1 = Math.max(Math.ceil(hi), y0 + 1);
  const nx = Math.max(1, points.length);
  const x = (e: number) => L + ((e - 0.5) / nx) * (W - L - R);
  const y = (v: number) => T + (1 - (Math.log10(v) - y0) / (y1 - y0)) * (H - T - B);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="18" text-anchor="middle" font-size="14">${esc(title)}</text>`,
  ];
  for (let d = y0; d <= y1; d++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** d;
      if (Math.log10(v) > y1) continue;
      const yy = y(v).toFixed(1);
      parts.push(`<line x1="${L}" x2="${W - R}" y1="${yy}" y2="${yy}" stroke="${m === 1 ? "#ccc" : "#eee"}"/>`);
      if (m === 1) parts.push(`<text x="${L - 6}" y="${yy}" dy="4" text-anchor="end">1e${d}</text>`);
    }
  }
  const step = Math.max(1, Math.ceil(nx / 12));
  for (let e = 1; e <= nx; e += step) {
    parts.push(`<text x="${x(e).toFixed(1)}" y="${H - B + 16}" text-anchor="middle">${e}</text>`);
  }
  parts.push(`<text x="${(L + W - R) / 2}" y="${H - 12}" text-anchor="middle">epoch</text>`);
  parts.push(`<text transform="translate(16 ${(T + H - B) / 2}) rotate(-90)" text-anchor="middle">BCE loss</text>`);
  parts.push(`<rect x="${L}" y="${T}" width="${W - L - R}" height="${H - T - B}" fill="none" stroke="#333"/>`);
  points.forEach((p, i) => {
    const prev = points[i - 1];
    if (!prev) return;
    const xx = ((x(p.epoch) + x(prev.epoch)) / 2).toFixed(1);
    if (p.lr < prev.lr) {
      parts.push(`<line x1="${xx}" x2="${xx}" y1="${T}" y2="${H - B}" stroke="#999" stroke-dasharray="4 3"/>`);
      parts.push(`<text x="${xx}" y="${T + 12}" dx="3" fill="#666">lr ${p.lr.toExponential(0)}</text>`);
    }
    if (prev.bn === "batch" && p.bn === "frozen") {
      parts.push(`<line x1="${xx}" x2="${xx}" y1="${T}" y2="${H - B}" stroke="#c80" stroke-dasharray="2 3"/>`);
      parts.push(`<text x="${xx}" y="${T + 26}" dx="3" fill="#c80">BN frozen</text>`);
    }
  });
  const line = (key: "trainLoss" | "valLoss", color: string) => {
    const pts = points.filter((p) => p[key] > 0 && Number.isFinite(p[key]));
    if (!pts.length) return;
    const coords = pts.map((p) => `${x(p.epoch).toFixed(1)},${y(p[key]).toFixed(1)}`);
    parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${coords.join(" ")}"/>`);
    for (const c of coords) {
      const [cx, cy] = c.split(",");
      parts.push(`<circle cx="${cx}" cy="${cy}" r="3" fill="${color}"/>`);
    }
  };
  line("trainLoss", "#1f77b4");
  line("valLoss", "#d62728");
  const lx = W - R - 160;
  parts.push(`<line x1="${lx}" x2="${lx + 20}" y1="${T + 14}" y2="${T + 14}" stroke="#1f77b4" stroke-width="2"/>`);
  parts.push(`<text x="${lx + 25}" y="${T + 18}">train (mean of steps)</text>`);
  parts.push(`<line x1="${lx}" x2="${lx + 20}" y1="${T + 30}" y2="${T + 30}" stroke="#d62728" stroke-width="2"/>`);
  parts.push(`<text x="${lx + 25}" y="${T + 34}">validation</text>`);
  parts.push("</svg>");
  return parts.join("\n") + "\n";
}
