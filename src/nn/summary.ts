// Layer table and parameter counts of a model, in two countings:
// - unique: each parameter tensor once (what the model really has);
// - paper: how Bhavanam et al. (2022) counted (Table 3). Their counter hooks every module once per parent that
//   holds it and counts a module's parameters on every hooked call, so a norm shared inside one block (called
//   twice, one parent) counts 2×, and the attention gate's norm shared by W_gate and W_x (called twice, two
//   parents) counts 4×. That reproduces 467,233 (deepCR) and 472,887 (Att deepCR); GroupNorm without affine has
//   no parameters, so Cosmic-CoNN's counts agree.
import type { Module } from "./module.ts";

export interface LayerRow {
  /** State-dict names of this module (several for a shared module). */
  names: string[];
  type: string;
  shapes: string;
  params: number;
  /** Distinct parent modules holding it. */
  parents: number;
}

export function layerTable(root: Module): LayerRow[] {
  const rows = new Map<Module, LayerRow & { parentSet: Set<Module> }>();
  const walk = (m: Module, prefix: string) => {
    for (const [name, child] of m.namedChildren()) {
      const path = prefix + name;
      const own = child.ownParameters();
      if (own.length) {
        let row = rows.get(child);
        if (!row) {
          row = {
            names: [],
            type: child.constructor.name,
            shapes: own.map(([n, t]) => `${n} [${t.shape.join("×")}]`).join(", "),
            params: own.reduce((s, [, t]) => s + t.size, 0),
            parents: 0,
            parentSet: new Set(),
          };
          rows.set(child, row);
        }
        row.names.push(path);
        row.parentSet.add(m);
        row.parents = row.parentSet.size;
      }
      walk(child, path + ".");
    }
  };
  walk(root, "");
  return [...rows.values()].map(({ parentSet: _, ...r }) => r);
}

export function countParameters(root: Module): { unique: number; paper: number } {
  const rows = layerTable(root);
  return {
    unique: rows.reduce((s, r) => s + r.params, 0),
    // calls = number of names (each alias is one call site) × hooks = number of parents.
    paper: rows.reduce((s, r) => s + r.params * r.names.length * r.parents, 0),
  };
}

export function formatSummary(root: Module, title: string): string {
  const rows = layerTable(root);
  const lines = [title, `${"layer".padEnd(44)} ${"type".padEnd(16)} ${"params".padStart(8)}  shapes`];
  for (const r of rows) {
    lines.push(`${r.names.join(" = ").padEnd(44)} ${r.type.padEnd(16)} ${String(r.params).padStart(8)}  ${r.shapes}`);
  }
  const { unique, paper } = countParameters(root);
  lines.push(`parameters: ${unique}`, `parameters (paper counting): ${paper}`);
  return lines.join("\n");
}
