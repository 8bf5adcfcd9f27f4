// Drawing for the training page: the live loss chart (SVG text) and the prediction canvases.

export interface ChartInput {
  /** Every optimizer step so far: its global index (1-based) and loss. */
  steps: { globalStep: number; loss: number }[];
  /** Finished epochs (1-based) with their mean training loss and validation loss. */
  epochs: { epoch: number; trainLoss: number; valLoss: number }[];
  stepsPerEpoch: number;
  epochCount: number;
}

const COLOURS = {
  step: "#9cc3e6",
  train: "#1f77b4",
  val: "#d62728",
  grid: "#d5d9e0",
  minor: "#eef0f4",
  ink: "#5b6475",
};

/**
 * Loss against optimizer step on a log axis, the whole run's width from the start: each step's loss (thin), each
 * epoch's mean training loss and its validation loss (dots at the epoch's last step), epochs marked below.
 */
export function lossChartSvg(c: ChartInput): string {
  const W = 560, H = 280, L = 50, R = 12, T = 12, B = 40;
  const per = Math.max(1, c.stepsPerEpoch);
  const total = Math.max(c.steps.length, per * c.epochCount, 1);
  const vals = [...c.steps.map((r) => r.loss), ...c.epochs.flatMap((e) => [e.trainLoss, e.valLoss])]
    .filter((v) => v > 0 && Number.isFinite(v));
  let lo = Math.log10(vals.length ? Math.min(...vals) : 0.01), hi = Math.log10(vals.length ? Math.max(...vals) : 1);
  if (hi - lo < 0.3) [lo, hi] = [(lo + hi) / 2 - 0.15, (lo + hi) / 2 + 0.15];
  [lo, hi] = [lo - 0.05 * (hi - lo), hi + 0.05 * (hi - lo)];
  const x = (g: number) => L + (g / total) * (W - L - R);
  const y = (v: number) => T + (1 - (Math.log10(v) - lo) / (hi - lo)) * (H - T - B);
  const p = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" font-family="system-ui, sans-serif" font-size="12">`,
  ];
  for (let d = Math.floor(lo); d <= Math.ceil(hi); d++) {
    for (const m of [1, 2, 3, 5]) {
      const v = m * 10 ** d, lv = Math.log10(v);
      if (lv < lo || lv > hi) continue;
      const yy = y(v).toFixed(1);
      p.push(
        `<line x1="${L}" x2="${W - R}" y1="${yy}" y2="${yy}" stroke="${m === 1 ? COLOURS.grid : COLOURS.minor}"/>`,
      );
      const label = v < 0.01 ? v.toExponential(0) : String(+v.toPrecision(2));
      p.push(`<text x="${L - 5}" y="${yy}" dy="4" text-anchor="end" fill="${COLOURS.ink}">${label}</text>`);
    }
  }
  const every = Math.max(1, Math.ceil(c.epochCount / 12));
  for (let e = 1; e <= c.epochCount; e++) {
    const xx = x(e * per).toFixed(1);
    if (e < c.epochCount) p.push(`<line x1="${xx}" x2="${xx}" y1="${T}" y2="${H - B}" stroke="${COLOURS.minor}"/>`);
    if ((e - 1) % every === 0) {
      p.push(
        `<text x="${x((e - 0.5) * per).toFixed(1)}" y="${
          H - B + 15
        }" text-anchor="middle" fill="${COLOURS.ink}">${e}</text>`,
      );
    }
  }
  p.push(
    `<text x="${(L + W - R) / 2}" y="${H - 6}" text-anchor="middle" fill="${COLOURS.ink}">epoch (${per} step${
      per > 1 ? "s" : ""
    } each)</text>`,
  );
  p.push(
    `<text transform="translate(13 ${
      (T + H - B) / 2
    }) rotate(-90)" text-anchor="middle" fill="${COLOURS.ink}">BCE loss</text>`,
  );
  p.push(`<rect x="${L}" y="${T}" width="${W - L - R}" height="${H - T - B}" fill="none" stroke="#9aa3b2"/>`);
  const line = (pts: [number, number][], colour: string, width: number, dots: boolean) => {
    const xy = pts.filter(([, v]) => v > 0 && Number.isFinite(v)).map(([g, v]) => [x(g).toFixed(1), y(v).toFixed(1)]);
    if (!xy.length) return;
    p.push(
      `<polyline fill="none" stroke="${colour}" stroke-width="${width}" stroke-linejoin="round" points="${
        xy.map((q) => q.join(",")).join(" ")
      }"/>`,
    );
    if (dots) { for (const [cx, cy] of xy) p.push(`<circle cx="${cx}" cy="${cy}" r="3.5" fill="${colour}"/>`); }
  };
  line(c.steps.map((r) => [r.globalStep - 0.5, r.loss]), COLOURS.step, 1.5, c.steps.length < 40);
  line(c.epochs.map((e) => [e.epoch * per, e.trainLoss]), COLOURS.train, 2, true);
  line(c.epochs.map((e) => [e.epoch * per, e.valLoss]), COLOURS.val, 2, true);
  const lx = W - R - 140;
  const legend: [string, string][] = [[COLOURS.step, "step loss"], [COLOURS.train, "train (epoch mean)"], [
    COLOURS.val,
    "validation",
  ]];
  legend.forEach(([colour, label], i) => {
    const yy = T + 14 + 16 * i;
    p.push(`<line x1="${lx}" x2="${lx + 18}" y1="${yy}" y2="${yy}" stroke="${colour}" stroke-width="2.5"/>`);
    p.push(`<text x="${lx + 24}" y="${yy + 4}">${label}</text>`);
  });
  p.push("</svg>");
  return p.join("");
}

/** Fills a side × side canvas from a colour per pixel; FITS rows go up, so row 0 is drawn at the bottom. */
export function paintCanvas(
  canvas: HTMLCanvasElement,
  side: number,
  colour: (i: number) => [number, number, number],
): void {
  canvas.width = canvas.height = side;
  const ctx = canvas.getContext("2d")!;
  const img = ctx.createImageData(side, side);
  for (let row = 0; row < side; row++) {
    for (let col = 0; col < side; col++) {
      const [r, g, b] = colour((side - 1 - row) * side + col);
      const o = 4 * (row * side + col);
      img.data[o] = r;
      img.data[o + 1] = g;
      img.data[o + 2] = b;
      img.data[o + 3] = 255;
    }
  }
  ctx.putImageData(img, 0, 0);
}

/** Black → red → yellow → white over [0, 1]. */
export function heat(p: number): [number, number, number] {
  const v = Math.min(1, Math.max(0, p)) * 3;
  return [
    Math.round(255 * Math.min(1, v)),
    Math.round(255 * Math.min(1, Math.max(0, v - 1))),
    Math.round(255 * Math.max(0, v - 2)),
  ];
}
