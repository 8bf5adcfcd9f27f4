// Float64 references for the elementwise ops.
export const addRef = (a: Float64Array, b: Float64Array) => a.map((v, i) => v + b[i]);
export const mulRef = (a: Float64Array, b: Float64Array) => a.map((v, i) => v * b[i]);
export const reluRef = (x: Float64Array) => x.map((v) => Math.max(v, 0));
export const sigmoidRef = (x: Float64Array) => x.map((v) => 1 / (1 + Math.exp(-v)));
