// Module: named parameters, buffers (running statistics) and child modules, with PyTorch's state_dict naming.
// A child registered under two names (the published models' shared norm modules) appears under both names in
// the state dict, as in PyTorch, but is one set of tensors.
import { Tensor } from "./tensor.ts";

export abstract class Module {
  training = true;
  private readonly params = new Map<string, Tensor>();
  private readonly buffers = new Map<string, Tensor>();
  private readonly children = new Map<string, Module>();

  protected param(name: string, t: Tensor): Tensor {
    t.requiresGrad = true;
    t.keep();
    this.params.set(name, t);
    return t;
  }

  protected buffer(name: string, t: Tensor): Tensor {
    t.keep();
    this.buffers.set(name, t);
    return t;
  }

  protected child<M extends Module>(name: string, m: M): M {
    this.children.set(name, m);
    return m;
  }

  /** Every (name, parameter) pair, aliases of shared modules included (PyTorch's `named_parameters(remove_duplicate=False)`). */
  namedParameters(prefix = ""): [string, Tensor][] {
    const out: [string, Tensor][] = [...this.params].map(([n, t]) => [prefix + n, t]);
    for (const [n, c] of this.children) out.push(...c.namedParameters(`${prefix}${n}.`));
    return out;
  }

  namedBuffers(prefix = ""): [string, Tensor][] {
    const out: [string, Tensor][] = [...this.buffers].map(([n, t]) => [prefix + n, t]);
    for (const [n, c] of this.children) out.push(...c.namedBuffers(`${prefix}${n}.`));
    return out;
  }

  /** Distinct parameter tensors, first name wins (what an optimizer updates). */
  parameters(): Tensor[] {
    return [...new Set(this.namedParameters().map(([, t]) => t))];
  }

  /** Parameters and buffers by state_dict key, aliases included. */
  stateDict(): Map<string, Tensor> {
    return new Map([...this.namedParameters(), ...this.namedBuffers()]);
  }

  /** This module's own parameters (not its children's). */
  ownParameters(): [string, Tensor][] {
    return [...this.params];
  }

  /** Children in registration order (aliases included). */
  namedChildren(): [string, Module][] {
    return [...this.children];
  }

  train(on = true): this {
    this.training = on;
    for (const c of this.children.values()) c.train(on);
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Releases every parameter and buffer (once each, even when shared). */
  release(): void {
    const all = new Set([...this.namedParameters(), ...this.namedBuffers()].map(([, t]) => t));
    for (const t of all) {
      t.grad?.release();
      t.grad = null;
      t.release();
    }
  }
}
