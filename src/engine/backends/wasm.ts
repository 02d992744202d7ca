// The WebAssembly backend: zero set-up (its binaries ship inside the npm package and the .vsix), SIMD, the threaded
// build where it starts (wasmThreads.ts), and the kernels VAE Lab fixes or adds for it. The kernels are registered for
// 'wasm' only, so no other backend sees them.
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import * as wasmBackend from '@tensorflow/tfjs-backend-wasm';
import type { BackendInfo } from '../../core/protocol';
import { packageRoot } from '../paths';
import { BackendError } from './common';
import { installFusedAdam } from './fusedKernels';
import { requestedWasmThreads, startThreadedWasm } from './wasmThreads';

const WASM_FILE = 'tfjs-backend-wasm-simd.wasm';

/** Where the .wasm binaries are: next to the bundle (dist/wasm), or in the installed npm package. */
export function findWasmDir(): string {
  const candidates = [process.env.VAE_LAB_WASM_DIR, path.join(packageRoot(), 'dist', 'wasm')];
  try {
    candidates.push(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/' + WASM_FILE)));
  } catch {
    /* not resolvable from a bundle */
  }
  for (const dir of candidates) {
    if (dir && fs.existsSync(path.join(dir, WASM_FILE))) return dir;
  }
  throw new BackendError(
    `the WebAssembly binaries (${WASM_FILE}) were not found in ${candidates.filter(Boolean).join(' or ')}; reinstall VAE Lab or run "npm run build".`,
  );
}

let wasmPathsSet = false;

/** Start the wasm backend (threaded where it can, else one thread) with VAE Lab's kernels; throws BackendError. */
export async function startWasm(): Promise<BackendInfo> {
  const wasmDir = findWasmDir();
  if (!wasmPathsSet) {
    wasmBackend.setWasmPaths(wasmDir + path.sep);
    wasmPathsSet = true;
  }
  let ok = false;
  let reason = 'setBackend returned false';
  let threadNote = '';
  let threads: number;
  try {
    threads = requestedWasmThreads();
  } catch (err) {
    throw new BackendError((err as Error).message);
  }
  if (threads > 1) {
    const started = await startThreadedWasm(wasmDir, threads);
    if (started.ok) ok = true;
    else threadNote = `; threads unavailable: ${started.reason}`;
  }
  if (!ok) {
    try {
      ok = await tf.setBackend('wasm');
      await tf.ready();
    } catch (err) {
      reason = (err as Error).message;
    }
  }
  if (!ok || tf.getBackend() !== 'wasm') {
    throw new BackendError(`the WebAssembly backend could not start (${reason}); VAE Lab does not fall back to the slow "cpu" backend on its own: set "backend": "cpu" to use it.`);
  }
  installWasmMatMulFix();
  installWasmConv2DBackpropFilter();
  installWasmSharedIdentity();
  installFusedAdam('wasm');
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  return {
    name: 'wasm',
    version: wasmBackend.version_wasm,
    detail: `${simd ? 'SIMD' : 'no SIMD'}, ${wasmBackend.getThreadsCount()} thread(s)${threadNote}, transposed-matmul fix, conv filter gradient, shared identity, fused Adam`,
  };
}

let matMulFixed = false;

/**
 * tfjs-backend-wasm 4.22 runs its fast XNNPACK matmul only when neither operand is transposed; the matmuls of
 * backpropagation (x^T * dy, dy * W^T) otherwise fall into a slow scalar loop. Re-register BatchMatMul and
 * _FusedMatMul for 'wasm' so that a transposed operand is first materialised with the wasm Transpose kernel.
 */
export function installWasmMatMulFix(): void {
  if (matMulFixed) return;
  const transpose = tf.getKernel('Transpose', 'wasm');
  if (!transpose) throw new BackendError('the wasm Transpose kernel is missing; cannot install the matmul fix.');
  for (const name of ['BatchMatMul', '_FusedMatMul']) {
    const original = tf.getKernel(name, 'wasm');
    if (!original) continue;
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({
      kernelName: name,
      backendName: 'wasm',
      setupFunc: original.setupFunc,
      kernelFunc: (args) => {
        const attrs = args.attrs as { transposeA?: boolean; transposeB?: boolean };
        if (!attrs.transposeA && !attrs.transposeB) return original.kernelFunc(args);
        const inputs = { ...(args.inputs as Record<string, tf.TensorInfo>) };
        const temps: tf.TensorInfo[] = [];
        /** The operand with its last two dimensions swapped, as a new tensor (a temporary unless kept). */
        const transposed = (t: tf.TensorInfo, temporary = true): tf.TensorInfo => {
          const rank = t.shape.length;
          const perm = Array.from({ length: rank }, (_, i) => i);
          perm[rank - 2] = rank - 1;
          perm[rank - 1] = rank - 2;
          const out = transpose.kernelFunc({ inputs: { x: t }, backend: args.backend, attrs: { perm } }) as tf.TensorInfo;
          if (temporary) temps.push(out);
          return out;
        };
        const plain = { ...args.attrs, transposeA: false, transposeB: false };
        const size = (t: tf.TensorInfo) => t.shape.reduce((x, y) => x * y, 1);
        let result: tf.TensorInfo;
        if (name === 'BatchMatMul' && attrs.transposeB && !attrs.transposeA && size(inputs.b) > size(inputs.a)) {
          // a b^T with a large b (backprop through a layer: dy W^T) as (b a^T)^T: transposing a and the product
          // moves less memory than transposing b, and the fast kernel repacks the smaller operand.
          const productT = original.kernelFunc({ ...args, inputs: { a: inputs.b, b: transposed(inputs.a) }, attrs: plain }) as tf.TensorInfo;
          temps.push(productT);
          result = transposed(productT, false);
        } else {
          if (attrs.transposeA) inputs.a = transposed(inputs.a);
          if (attrs.transposeB) inputs.b = transposed(inputs.b);
          result = original.kernelFunc({ ...args, inputs, attrs: plain }) as tf.TensorInfo;
        }
        const backend = args.backend as { disposeData(id: object): void };
        for (const t of temps) backend.disposeData(t.dataId);
        return result;
      },
    });
  }
  matMulFixed = true;
}

let identityShared = false;

/**
 * tfjs-backend-wasm 4.22's Identity kernel copies its input. TF.js calls it through clone() for every tensor that a
 * gradient needs later (about 70 per step of the reference VAE, weights included); tensors are immutable, so the
 * cpu and webgl backends share the data and count references instead. Do the same on wasm (as its Reshape does).
 */
export function installWasmSharedIdentity(): void {
  if (identityShared) return;
  const original = tf.getKernel('Identity', 'wasm');
  if (!original) throw new BackendError('the wasm Identity kernel is missing.');
  tf.unregisterKernel('Identity', 'wasm');
  tf.registerKernel({
    kernelName: 'Identity',
    backendName: 'wasm',
    kernelFunc: (args) => {
      const x = (args.inputs as { x: tf.TensorInfo }).x;
      if (x.dtype === 'string') return original.kernelFunc(args);
      (args.backend as unknown as { incRef(id: object): void }).incRef(x.dataId);
      return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
    },
  });
  identityShared = true;
}

let convFilterInstalled = false;

/**
 * tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter kernel, so the filter gradient of a convolution (and of a
 * transposed convolution) fails; its Conv3DBackpropFilterV2 gives wrong results for strides > 1, so it cannot
 * stand in. The filter gradient is itself a convolution:
 *   dW[kh, kw, ci, co] = sum_{b, oh, ow} xpad[b, oh*s + kh, ow*s + kw, ci] * dy[b, oh, ow, co]
 * i.e. a 'valid' convolution of xpad^T [Ci, Hp, Wp, B] with dy^T [OH, OW, B, Co] dilated by the stride, cropped
 * to the kernel size. It runs on wasm's fast Conv2D kernel.
 */
export function installWasmConv2DBackpropFilter(): void {
  if (convFilterInstalled || tf.getKernel('Conv2DBackpropFilter', 'wasm')) return;
  const k = (name: string) => {
    const kernel = tf.getKernel(name, 'wasm');
    if (!kernel) throw new BackendError(`the wasm ${name} kernel is missing; cannot add Conv2DBackpropFilter.`);
    return kernel.kernelFunc;
  };
  const [pad, transpose, conv2d, slice] = [k('PadV2'), k('Transpose'), k('Conv2D'), k('Slice')];
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
      const a = attrs as { strides: number | [number, number]; pad: 'same' | 'valid' | number; dataFormat?: string; dimRoundingMode?: 'floor' | 'round' | 'ceil'; filterShape: [number, number, number, number] };
      if (a.dataFormat && a.dataFormat !== 'NHWC') throw new Error('Conv2DBackpropFilter on wasm supports NHWC only.');
      const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], a.filterShape, a.strides, 1, a.pad as 'same', a.dimRoundingMode);
      const [kh, kw, ci, co] = a.filterShape;
      const p = info.padInfo;
      const temps: tf.TensorInfo[] = [];
      const run = (f: tf.KernelFunc, ins: tf.NamedTensorInfoMap, at: object) => {
        const out = f({ inputs: ins, backend, attrs: at as tf.NamedAttrMap }) as tf.TensorInfo;
        temps.push(out);
        return out;
      };
      const xp = run(pad, { x }, { paddings: [[0, 0], [p.top, p.bottom], [p.left, p.right], [0, 0]], constantValue: 0 });
      const xt = run(transpose, { x: xp }, { perm: [3, 1, 2, 0] });
      const dyt = run(transpose, { x: dy }, { perm: [1, 2, 0, 3] });
      const full = run(conv2d, { x: xt, filter: dyt }, { strides: [1, 1], pad: 'valid', dilations: [info.strideHeight, info.strideWidth], dataFormat: 'NHWC' });
      const cropped = run(slice, { x: full }, { begin: [0, 0, 0, 0], size: [ci, kh, kw, co] });
      const dw = transpose({ inputs: { x: cropped }, backend, attrs: { perm: [1, 2, 0, 3] } }) as tf.TensorInfo;
      const b = backend as { disposeData(id: object): void };
      for (const t of temps) b.disposeData(t.dataId);
      return dw;
    },
  });
  convFilterInstalled = true;
}
