// `deno task train --resume`: a real training process killed (SIGKILL) mid-epoch and resumed from its last
// snapshot ends with the same weights, optimizer state and loss history as a run that was never interrupted.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { synthDataset } from "../src/data/dataset.ts";
import { trainBudget } from "../src/cli/paper.ts";
import { decodeSnapshot } from "../src/nn/train/snapshot_io.ts";
import type { Snapshot } from "../src/nn/train/trainer.ts";

const DENO = Deno.execPath();
const CLI = new URL("../src/cli/train.ts", import.meta.url).pathname;
let dir = "";

beforeAll(async () => {
  dir = await Deno.makeTempDir({ prefix: "crgpu-train-cli-" });
  // 3 frames of 512² → 12 chunks of 256² (1 of them validation) and a 4-chunk test frame.
  await synthDataset({ out: `${dir}/data`, mode: "decam", seed: 3, width: 512, height: 512, frames: 3, testFrames: 1 });
}, 120_000);

afterAll(async () => {
  if (dir) await Deno.remove(dir, { recursive: true });
});

const ARGS = (out: string) => [
  "--data", `${dir}/data`, "--out", out, "--variant", "deepcr", "--epochs", "2", "--batch", "2", "--patch", "32",
  "--steps-per-epoch", "5", "--save-every", "1", "--seed", "4", "--no-eval", "--quiet",
];

async function run(args: string[]): Promise<void> {
  const { code, stderr } = await new Deno.Command(DENO, { args: ["run", "-A", CLI, ...args], stdout: "null", stderr: "piped" })
    .output();
  expect(code, new TextDecoder().decode(stderr)).toBe(0);
}

async function snapshot(path: string): Promise<Snapshot | null> {
  try {
    return decodeSnapshot(await Deno.readFile(path), path);
  } catch {
    return null;
  }
}

describe("deno task train --resume", () => {
  it("a run killed mid-epoch continues exactly", async () => {
    await run(ARGS(`${dir}/full`));
    const want = (await snapshot(`${dir}/full/snapshot.safetensors`))!;
    expect(want.state.epoch).toBe(2);

    const child = new Deno.Command(DENO, { args: ["run", "-A", CLI, ...ARGS(`${dir}/killed`)], stdout: "null", stderr: "null" })
      .spawn();
    let at: [number, number] | null = null;
    for (let i = 0; i < 1200 && !at; i++) {
      await new Promise((r) => setTimeout(r, 50));
      const s = await snapshot(`${dir}/killed/snapshot.safetensors`);
      if (s && s.state.epoch === 1 && s.state.step >= 2) at = [s.state.epoch, s.state.step];
    }
    child.kill("SIGKILL");
    await child.status;
    expect(at, "the run reached epoch 2, step 2 within a minute").not.toBeNull();
    const left = (await snapshot(`${dir}/killed/snapshot.safetensors`))!;
    expect(left.state.epoch, "killed before the end of the run").toBe(1);

    // Resumed from a copy of the dataset in another place (as on another machine): --data, checked by manifest.
    await Deno.mkdir(`${dir}/data-copy`);
    for await (const e of Deno.readDir(`${dir}/data`)) await Deno.copyFile(`${dir}/data/${e.name}`, `${dir}/data-copy/${e.name}`);
    await run(["--resume", `${dir}/killed`, "--data", `${dir}/data-copy`, "--quiet", "--no-eval"]);
    const got = (await snapshot(`${dir}/killed/snapshot.safetensors`))!;
    expect(got.state.history.map((h) => [h.trainLoss, h.valLoss, h.lr, h.steps])).toEqual(
      want.state.history.map((h) => [h.trainLoss, h.valLoss, h.lr, h.steps]),
    );
    for (const [name, t] of want.model) expect(got.model.get(name)!.data, name).toEqual(t.data);
    want.adam.m.forEach((m, i) => expect(got.adam.m[i]).toEqual(m));
    want.adam.v.forEach((v, i) => expect(got.adam.v[i]).toEqual(v));
    const log = (await Deno.readTextFile(`${dir}/killed/log.jsonl`)).trim().split("\n");
    expect(log.length).toBe(2);
  }, 300_000);

  it("refuses to start over an existing run, --resume of a folder without a run, and --resume on other data", async () => {
    await synthDataset({ out: `${dir}/other`, mode: "decam", seed: 5, width: 256, height: 256, frames: 2, testFrames: 0 });
    const other = ["--resume", `${dir}/full`, "--data", `${dir}/other`];
    for (const args of [ARGS(`${dir}/full`), ["--resume", `${dir}/nothing-here`], other]) {
      const { code, stderr } = await new Deno.Command(DENO, { args: ["run", "-A", CLI, ...args], stdout: "null", stderr: "piped" })
        .output();
      expect(code).toBe(2);
      expect(new TextDecoder().decode(stderr)).toMatch(/--resume/);
    }
  }, 60_000);

  it("--patience and --bn-recalibrate land in the recorded recipe, and bad values are usage errors", async () => {
    const out = `${dir}/patience`;
    const args = ARGS(out);
    args[args.indexOf("--epochs") + 1] = "1";
    await run([...args, "--patience", "1", "--bn-recalibrate", "3"]);
    const recorded = JSON.parse(await Deno.readTextFile(`${out}/run.json`));
    expect(recorded.config.plateau.patience).toBe(1);
    expect(recorded.config.bnRecalibrate).toBe(3);
    expect(recorded.config.epochs).toBe(1);
    for (const [flag, bad] of [["patience", "-1"], ["patience", "1.5"], ["patience", "x"], ["bn-recalibrate", "-2"]]) {
      const { code, stderr } = await new Deno.Command(DENO, {
        args: ["run", "-A", CLI, ...ARGS(`${dir}/patience-bad`), `--${flag}`, bad],
        stdout: "null",
        stderr: "piped",
      }).output();
      expect(code).toBe(2);
      expect(new TextDecoder().decode(stderr)).toMatch(flag);
    }
  }, 120_000);

  it("deno task paper re-estimates BatchNorm statistics in capped-epoch budgets only, and passes --output-bias on", () => {
    const a = { epochs: "10", batch: "16", patch: "64", seed: "1", "steps-per-epoch": "15", "output-bias": "default" };
    const capped = trainBudget(a);
    expect(capped[capped.indexOf("--bn-recalibrate") + 1]).toBe("16");
    expect(capped[capped.indexOf("--steps-per-epoch") + 1]).toBe("15");
    // --steps-per-epoch 0: full passes, the paper's EMA.
    const full = trainBudget({ ...a, "steps-per-epoch": "0" });
    expect(full).not.toContain("--bn-recalibrate");
    expect(full).not.toContain("--steps-per-epoch");
    expect(full).not.toContain("--output-bias");
    const prior = trainBudget({ ...a, "output-bias": "prior" });
    expect(prior[prior.indexOf("--output-bias") + 1]).toBe("prior");
  });
});
