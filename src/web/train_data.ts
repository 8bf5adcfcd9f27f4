// The training page's data: synthDataset (DECam-like, in memory) run in a Worker so the page keeps painting its
// progress. The Worker is dist/train.js itself (train.ts calls workerMain when there is no `document`), so the
// page needs no second bundle. Where a module worker cannot start, the simulation runs in the page instead.
import type { Manifest } from "../data/dataset/manifest.ts";
import { synthDataset, type SynthOptions } from "../data/dataset/synth.ts";

type FromWorker =
  | { type: "progress"; message: string }
  | { type: "done"; manifest: Manifest; shards: [string, Uint8Array][] }
  | { type: "error"; message: string };

/** The worker's side: one SynthOptions in, progress lines and then the dataset (shard buffers transferred) out. */
export function workerMain(): void {
  const post = (m: FromWorker, transfer: Transferable[] = []) => postMessage(m, { transfer });
  addEventListener("message", async (e: Event) => {
    try {
      const opts = (e as MessageEvent<SynthOptions>).data;
      const r = await synthDataset({ ...opts, onProgress: (message) => post({ type: "progress", message }) });
      const shards = [...r.shards!];
      post({ type: "done", manifest: r.manifest, shards }, shards.map(([, b]) => b.buffer));
    } catch (err) {
      post({ type: "error", message: err instanceof Error ? err.message : String(err) });
    }
  });
}

export interface Simulated {
  manifest: Manifest;
  shards: Map<string, Uint8Array>;
  /** Where it ran: a worker keeps the page painting its progress. */
  where: "worker" | "page";
}

/** The user stopped the run. */
export class Stopped extends Error {
  override name = "Stopped";
}

/**
 * Simulates `opts` (no `out`: in memory) in a worker started from `workerUrl`; `signal` ends the worker and rejects
 * with Stopped. Falls back to the page when the worker cannot load (progress then shows only at the end).
 */
export function simulate(
  opts: SynthOptions,
  workerUrl: string,
  onProgress: (message: string) => void,
  signal?: AbortSignal,
): Promise<Simulated> {
  const inPage = async (): Promise<Simulated> => {
    const r = await synthDataset({ ...opts, onProgress });
    return { manifest: r.manifest, shards: r.shards!, where: "page" };
  };
  let worker: Worker;
  try {
    worker = new Worker(workerUrl, { type: "module" });
  } catch {
    return inPage();
  }
  return new Promise<Simulated>((resolve, reject) => {
    let started = false;
    const stop = () => {
      worker.terminate();
      reject(new Stopped("stopped while simulating the data"));
    };
    signal?.addEventListener("abort", stop, { once: true });
    const end = () => {
      worker.terminate();
      signal?.removeEventListener("abort", stop);
    };
    worker.onmessage = (e: MessageEvent<FromWorker>) => {
      started = true;
      const m = e.data;
      if (m.type === "progress") return onProgress(m.message);
      end();
      if (m.type === "done") resolve({ manifest: m.manifest, shards: new Map(m.shards), where: "worker" });
      else reject(new Error(`simulating the data: ${m.message}`));
    };
    worker.onerror = (e) => {
      end();
      if (started) reject(new Error(`simulating the data: ${e.message}`));
      else inPage().then(resolve, reject); // the worker could not load: do it here
    };
    worker.postMessage(opts);
  });
}
