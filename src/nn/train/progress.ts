// One-line progress for a terminal: epoch, step bar, loss, throughput and ETA.
import type { StepInfo } from "./trainer.ts";

export function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

export function progressLine(i: StepInfo, epochs: number, width = 24): string {
  const filled = Math.round((i.step / i.steps) * width);
  const bar = "=".repeat(Math.max(0, filled - 1)) + (filled > 0 ? (i.step === i.steps ? "=" : ">") : "") +
    " ".repeat(width - filled);
  return `epoch ${i.epoch + 1}/${epochs} [${bar}] ${i.step}/${i.steps}  loss ${i.loss.toFixed(4)}  ` +
    `${i.patchesPerSecond.toFixed(2)} patches/s  ETA ${duration(i.eta)}`;
}
