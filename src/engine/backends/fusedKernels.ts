// Fused kernels for the hot spots of training that TF.js runs as many small element-wise ops.
//
// The Adam update of one variable is 14 element-wise TF.js ops (mul, add, square, sqrt, div, sub, three assigns),
// each a pass over the whole variable: for the reference VAE's 650k parameters that was about a sixth of a
// training step on the wasm backend (see bench/README.md, "Profile"). Here it is one pass, with new outputs for
// the parameter and both moments: on the wasm backend a small SIMD WebAssembly function (below, 4 floats at a time)
// that shares the backend's memory; on the cpu backend a JavaScript loop. A scalar JavaScript loop over the wasm
// heap was no faster than the 14 ops (10 ns per parameter), the SIMD function is ten times faster. Backends without
// direct memory access (tfjs-node) keep the op-by-op update, see optimizers.ts.
import * as tf from '@tensorflow/tfjs';

export const ADAM_KERNEL = 'VaeLabAdamUpdate';

/** Attributes of one Adam update; `lrHat` = lr / (1 - beta1^t), `bc2` = sqrt(1 - beta2^t). */
export interface AdamAttrs {
  lrHat: number;
  bc2: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  weightDecay: number;
}

/**
 * The update itself, on plain arrays (the same arithmetic for every backend that uses it):
 *   g = grad * scale + weightDecay * p
 *   m = beta1 m + (1 - beta1) g,   v = beta2 v + (1 - beta2) g^2
 *   p = p - lrHat * m / (sqrt(v) / bc2 + epsilon)
 * Intermediate values are float64; results are rounded to float32 once, when stored.
 */
export function adamUpdate(
  p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, scale: number, a: AdamAttrs,
  pOut: Float32Array, mOut: Float32Array, vOut: Float32Array,
): void {
  const { lrHat, bc2, beta1, beta2, epsilon, weightDecay } = a;
  const c1 = 1 - beta1;
  const c2 = 1 - beta2;
  const n = p.length;
  for (let i = 0; i < n; i++) {
    const pi = p[i];
    const gi = g[i] * scale + weightDecay * pi;
    const mi = beta1 * m[i] + c1 * gi;
    const vi = beta2 * v[i] + c2 * gi * gi;
    mOut[i] = mi;
    vOut[i] = vi;
    pOut[i] = pi - (lrHat * mi) / (Math.sqrt(vi) / bc2 + epsilon);
  }
}

interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
  dataIdMap: { get(id: object): { memoryOffset: number } };
  wasm: { asm?: { memory?: WebAssembly.Memory }; wasmMemory?: WebAssembly.Memory };
}

// ---------------------------------------------------------------------------------------------------------------
// The SIMD Adam function, encoded here as WebAssembly bytes (there is no WebAssembly compiler in the build):
//   adam(p, g, m, v, pOut, mOut, vOut: byte offsets, n4: groups of 4 floats,
//        scale, lrHat, bc2, beta1, 1 - beta1, beta2, 1 - beta2, epsilon, weightDecay: f32)
// It imports the backend's memory, so it reads and writes tensors where they are. The loop body, per 4 floats:
//   gv = g * scale + weightDecay * p;  mv = beta1 m + (1 - beta1) gv;  vv = beta2 v + ((1 - beta2) gv) gv
//   mOut = mv;  vOut = vv;  pOut = p - (lrHat mv) / (sqrt(vv) / bc2 + epsilon)
const op = {
  block: 0x02, loop: 0x03, end: 0x0b, br: 0x0c, brIf: 0x0d, localGet: 0x20, localSet: 0x21,
  i32Const: 0x41, i32GeU: 0x4f, i32Add: 0x6a, i32Shl: 0x74, void: 0x40, i32: 0x7f, f32: 0x7d, v128: 0x7b,
};
/** SIMD instructions: the 0xfd prefix and the opcode as unsigned LEB128. */
const simd = {
  load: [0xfd, 0x00, 4, 0], // v128.load, alignment 2^4, offset 0
  store: [0xfd, 0x0b, 4, 0],
  splat: [0xfd, 0x13], // f32x4.splat
  sqrt: [0xfd, 0xe3, 0x01],
  add: [0xfd, 0xe4, 0x01],
  sub: [0xfd, 0xe5, 0x01],
  mul: [0xfd, 0xe6, 0x01],
  div: [0xfd, 0xe7, 0x01],
};

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const name = (s: string): number[] => [...uleb(s.length), ...Array.from(Buffer.from(s, 'utf8'))];

/** The module's bytes; `shared` must match the backend's memory (the threaded build's memory is shared). */
export function adamModuleBytes(shared: boolean): Uint8Array<ArrayBuffer> {
  // Parameters 0-6: offsets, 7: n4, 8-16: the f32 constants. Locals 17: i, 18: end, 19-22: pv gv mv vv,
  // 23-31: the constants splatted to 4 lanes, in the order of parameters 8-16.
  const [P, G, M, V, PO, MO, VO, N4] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [I, END, PV, GV, MV, VV] = [17, 18, 19, 20, 21, 22];
  const [S, LR, BC2, B1, C1, B2, C2, EPS, WD] = [23, 24, 25, 26, 27, 28, 29, 30, 31];
  const get = (i: number) => [op.localGet, i];
  const set = (i: number) => [op.localSet, i];
  const at = (base: number) => [...get(base), ...get(I), op.i32Add];
  const body = [
    ...[8, 9, 10, 11, 12, 13, 14, 15, 16].flatMap((param, k) => [...get(param), ...simd.splat, ...set(S + k)]),
    ...get(N4), op.i32Const, 4, op.i32Shl, ...set(END),
    op.block, op.void, op.loop, op.void,
    ...get(I), ...get(END), op.i32GeU, op.brIf, 1,
    ...at(P), ...simd.load, ...set(PV),
    ...at(G), ...simd.load, ...get(S), ...simd.mul, ...get(WD), ...get(PV), ...simd.mul, ...simd.add, ...set(GV),
    ...at(M), ...simd.load, ...get(B1), ...simd.mul, ...get(C1), ...get(GV), ...simd.mul, ...simd.add, ...set(MV),
    ...at(V), ...simd.load, ...get(B2), ...simd.mul, ...get(C2), ...get(GV), ...simd.mul, ...get(GV), ...simd.mul, ...simd.add, ...set(VV),
    ...at(MO), ...get(MV), ...simd.store,
    ...at(VO), ...get(VV), ...simd.store,
    ...at(PO), ...get(PV), ...get(LR), ...get(MV), ...simd.mul,
    ...get(VV), ...simd.sqrt, ...get(BC2), ...simd.div, ...get(EPS), ...simd.add, ...simd.div, ...simd.sub, ...simd.store,
    ...get(I), op.i32Const, 16, op.i32Add, ...set(I),
    op.br, 0, op.end, op.end, op.end,
  ];
  const locals = vec([[2, op.i32], [13, op.v128]]);
  const func = [...locals, ...body];
  const funcType = [0x60, ...vec([...Array(8).fill([op.i32]), ...Array(9).fill([op.f32])]), 0];
  // Memory limits: no maximum for a plain memory; a shared memory must declare one (4 GiB covers any).
  const limits = shared ? [0x03, 0, ...uleb(65536)] : [0x00, 0];
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([funcType])),
    ...section(2, vec([[...name('env'), ...name('memory'), 0x02, ...limits]])),
    ...section(3, vec([[0]])),
    ...section(7, vec([[...name('adam'), 0x00, 0]])),
    ...section(10, vec([[...uleb(func.length), ...func]])),
  ];
  return new Uint8Array(bytes);
}

type AdamSimd = (p: number, g: number, m: number, v: number, po: number, mo: number, vo: number, n4: number, ...consts: number[]) => void;

/** Instantiate the SIMD Adam function on the backend's memory (cached per memory). */
const simdByMemory = new WeakMap<WebAssembly.Memory, AdamSimd>();
function adamSimdFor(memory: WebAssembly.Memory): AdamSimd {
  let f = simdByMemory.get(memory);
  if (!f) {
    const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
    const module = new WebAssembly.Module(adamModuleBytes(shared));
    f = new WebAssembly.Instance(module, { env: { memory } }).exports.adam as AdamSimd;
    simdByMemory.set(memory, f);
  }
  return f;
}

interface CpuBackendLike {
  data: { get(id: object): { values: Float32Array } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: Float32Array): tf.TensorInfo;
}

type AdamInputs = { p: tf.TensorInfo; g: tf.TensorInfo; m: tf.TensorInfo; v: tf.TensorInfo; scale: tf.TensorInfo };

/** Register the fused Adam kernel for `backendName` ('wasm' or 'cpu'); other backends are left alone. */
export function installFusedAdam(backendName: string): boolean {
  if (tf.getKernel(ADAM_KERNEL, backendName)) return true;
  let kernelFunc: tf.KernelFunc;
  if (backendName === 'wasm') {
    kernelFunc = ({ inputs, backend, attrs }) => {
      const { p, g, m, v, scale } = inputs as unknown as AdamInputs;
      const b = backend as unknown as WasmBackendLike;
      const a = attrs as unknown as AdamAttrs;
      // Allocate first: growing the wasm memory detaches every view taken before.
      const outs = [b.makeOutput(p.shape, 'float32'), b.makeOutput(p.shape, 'float32'), b.makeOutput(p.shape, 'float32')];
      const s = b.typedArrayFromHeap(scale)[0];
      const ins = [p, g, m, v, ...outs];
      const n = p.shape.reduce((x, y) => x * y, 1);
      const n4 = n >> 2;
      const memory = b.wasm.asm?.memory ?? b.wasm.wasmMemory;
      if (memory && n4 > 0) {
        const off = ins.map((t) => b.dataIdMap.get(t.dataId).memoryOffset);
        adamSimdFor(memory)(off[0], off[1], off[2], off[3], off[4], off[5], off[6], n4,
          s, a.lrHat, a.bc2, a.beta1, 1 - a.beta1, a.beta2, 1 - a.beta2, a.epsilon, a.weightDecay);
      }
      // The last n % 4 values (all of them if the memory were not reachable) in JavaScript.
      const from = memory ? n4 * 4 : 0;
      if (from < n) {
        const [pv, gv, mv, vv, po, mo, vo] = ins.map((t) => b.typedArrayFromHeap(t).subarray(from));
        adamUpdate(pv, gv, mv, vv, s, a, po, mo, vo);
      }
      return outs;
    };
  } else if (backendName === 'cpu') {
    kernelFunc = ({ inputs, backend, attrs }) => {
      const { p, g, m, v, scale } = inputs as unknown as AdamInputs;
      const b = backend as unknown as CpuBackendLike;
      const get = (t: tf.TensorInfo) => b.data.get(t.dataId).values;
      const n = p.shape.reduce((x, y) => x * y, 1);
      const arrays = [new Float32Array(n), new Float32Array(n), new Float32Array(n)];
      adamUpdate(get(p), get(g), get(m), get(v), get(scale)[0], attrs as unknown as AdamAttrs, arrays[0], arrays[1], arrays[2]);
      return arrays.map((a) => b.makeTensorInfo(p.shape, 'float32', a));
    };
  } else {
    return false;
  }
  tf.registerKernel({ kernelName: ADAM_KERNEL, backendName, kernelFunc });
  return true;
}

/** Whether the active backend has the fused Adam update. */
export function hasFusedAdam(): boolean {
  return tf.getKernel(ADAM_KERNEL, tf.getBackend()) !== undefined;
}

/** One fused Adam update: returns the new parameter and moments (the caller assigns them). */
export function fusedAdam(p: tf.Tensor, g: tf.Tensor, m: tf.Tensor, v: tf.Tensor, scale: tf.Scalar, attrs: AdamAttrs): [tf.Tensor, tf.Tensor, tf.Tensor] {
  const inputs = { p, g, m, v, scale } as unknown as tf.NamedTensorMap;
  return tf.engine().runKernel(ADAM_KERNEL, inputs, attrs as unknown as tf.NamedAttrMap) as unknown as [tf.Tensor, tf.Tensor, tf.Tensor];
}
