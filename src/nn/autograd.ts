// Reverse-mode autograd over the GPU tensor graph (micrograd's shape: a node keeps its parents and a backward
// closure). Gradients of a tensor used several times are summed; the graph is freed as backward consumes it.
import { unary } from "../kernels/elementwise.ts";
import { type BackwardFn, rt, Tensor } from "./tensor.ts";

let gradEnabled = true;

/** Runs `fn` without recording the graph (inference, optimizer updates). */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** True when a tensor takes part in differentiation: a leaf that requires grad, or the output of a recorded op. */
export function needsGrad(t: Tensor): boolean {
  return t.requiresGrad || t.node !== null;
}

/**
 * Attaches an autograd node to `out` when grad mode is on and some parent needs a gradient; otherwise releases
 * `saved` right away (inference keeps nothing for backward). Returns `out`.
 */
export function record(out: Tensor, op: string, parents: Tensor[], backward: BackwardFn, saved: Tensor[] = []): Tensor {
  if (gradEnabled && parents.some(needsGrad)) {
    out.node = { op, parents, backward, saved };
  } else {
    for (const s of saved) s.release();
  }
  return out;
}

/** a += b (gradient accumulation). */
export function accumulate(a: Tensor, b: Tensor): void {
  if (a.size !== b.size) throw new RangeError(`accumulate: [${a.shape}] += [${b.shape}]`);
  unary(rt(), "add_inplace", b.buffer, a.buffer, a.size);
}

/** Topological order of the graph below `root` (parents before children), iteratively to allow deep graphs. */
function topoOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  const stack: [Tensor, number][] = [[root, 0]];
  seen.add(root);
  while (stack.length) {
    const top = stack[stack.length - 1];
    const parents = top[0].node?.parents ?? [];
    if (top[1] < parents.length) {
      const p = parents[top[1]++];
      if (!seen.has(p) && needsGrad(p)) {
        seen.add(p);
        stack.push([p, 0]);
      }
    } else {
      order.push(top[0]);
      stack.pop();
    }
  }
  return order;
}

/**
 * Back-propagates from `root` (a one-element loss unless `gradOutput` is given). Leaf gradients accumulate into
 * `.grad` (kept past any `tidy`); intermediate gradients and every node's saved tensors are released as we go, so
 * the graph cannot be walked twice (PyTorch's retain_graph=False).
 */
export function backward(root: Tensor, gradOutput?: Tensor): void {
  if (!needsGrad(root)) throw new Error("backward: the tensor does not require grad (was it computed under noGrad?)");
  if (!gradOutput && root.size !== 1) {
    throw new Error(`backward: a gradient is needed for a non-scalar output of shape [${root.shape}]`);
  }
  const grads = new Map<Tensor, Tensor>();
  // The engine owns every gradient it holds, the seed too, so it may release or accumulate into any of them.
  grads.set(root, gradOutput ? copy(gradOutput) : Tensor.full(root.shape, 1));
  const order = topoOrder(root);
  for (let k = order.length - 1; k >= 0; k--) {
    const t = order[k];
    const g = grads.get(t);
    grads.delete(t);
    if (!g) continue;
    const node = t.node;
    if (node) {
      const parentGrads = noGrad(() => node.backward(g));
      node.parents.forEach((p, i) => {
        const pg = parentGrads[i];
        if (!pg) return;
        if (!needsGrad(p)) return pg.release();
        if (pg.size !== p.size) throw new Error(`backward of ${node.op}: gradient [${pg.shape}] for input [${p.shape}]`);
        const prev = grads.get(p);
        if (prev) {
          accumulate(prev, pg);
          pg.release();
        } else grads.set(p, pg);
      });
      t.releaseNode();
    }
    if (t.requiresGrad && !node) {
      if (t.grad) {
        accumulate(t.grad, g);
        g.release();
      } else t.grad = g.keep();
    } else g.release();
  }
}

function copy(t: Tensor): Tensor {
  const c = Tensor.empty(t.shape);
  rt().copy(t.buffer, 0, c.buffer, 0, t.size * 4);
  return c;
}

/** Releases the gradients of `params` (call after each optimizer step). */
export function zeroGrad(params: Iterable<Tensor>): void {
  for (const p of params) {
    p.grad?.release();
    p.grad = null;
  }
}
