// Adam, SGD (with momentum) and RMSProp with explicit, checkpointable state. TF.js's own optimizers restore Adam's
// bias correction with pow() instead of the running product, so a resumed run would drift from an uninterrupted
// one; here the step count t is a plain number and bias corrections are computed in float64 from it.
import * as tf from '@tensorflow/tfjs';
import type { OptimizerConfig } from '../core/config';
import { fusedAdam, hasFusedAdam } from './backends/fusedKernels';

export interface OptimizerSnapshot {
  type: OptimizerConfig['type'];
  t: number;
  /** Slot tensors per variable, in variable order (adam: m, v; sgd: velocity; rmsprop: meanSquare, moment). */
  slots: Float32Array[][];
}

export class Optimizer {
  /** Number of updates applied so far. */
  t = 0;
  private readonly slots: tf.Variable[][];

  constructor(readonly cfg: OptimizerConfig, private readonly vars: tf.Variable[]) {
    const perVar = cfg.type === 'sgd' ? (cfg.momentum > 0 ? 1 : 0) : cfg.type === 'rmsprop' ? (cfg.momentum > 0 ? 2 : 1) : 2;
    this.slots = vars.map((v) => Array.from({ length: perVar }, () => tf.tidy(() => tf.variable(tf.zerosLike(v), false))));
  }

  /**
   * Apply one update. `grads` are in variable order; `clipNorm` > 0 rescales them to that global L2 norm at most
   * (without a host synchronisation) and returns that norm as a tensor (caller disposes); without clipping no norm
   * is computed and nothing is returned. Adam runs as one fused kernel per variable where the backend has it.
   */
  apply(grads: tf.Tensor[], lr: number, clipNorm: number): tf.Scalar | undefined {
    this.t += 1;
    const t = this.t;
    const c = this.cfg;
    const fused = c.type === 'adam' && hasFusedAdam();
    return tf.tidy(() => {
      const norm = clipNorm > 0 ? (tf.sqrt(tf.addN(grads.map((g) => g.square().sum()))) as tf.Scalar) : undefined;
      const scale = norm ? tf.div(clipNorm, tf.maximum(norm, clipNorm)) : undefined;
      if (fused) {
        const attrs = { lrHat: lr / (1 - Math.pow(c.beta1, t)), bc2: Math.sqrt(1 - Math.pow(c.beta2, t)), beta1: c.beta1, beta2: c.beta2, epsilon: c.epsilon, weightDecay: c.weightDecay };
        const s = (scale ?? tf.scalar(1)) as tf.Scalar;
        this.vars.forEach((v, i) => {
          const [p, m, vv] = fusedAdam(v, grads[i], this.slots[i][0], this.slots[i][1], s, attrs);
          this.slots[i][0].assign(m);
          this.slots[i][1].assign(vv);
          v.assign(p);
        });
        return norm;
      }
      this.vars.forEach((v, i) => {
        let g = scale ? grads[i].mul(scale) : grads[i];
        if (c.weightDecay > 0) g = g.add(v.mul(c.weightDecay));
        const s = this.slots[i];
        if (c.type === 'adam') {
          const m = s[0].mul(c.beta1).add(g.mul(1 - c.beta1));
          const vv = s[1].mul(c.beta2).add(g.square().mul(1 - c.beta2));
          s[0].assign(m);
          s[1].assign(vv);
          const bc1 = 1 - Math.pow(c.beta1, t);
          const bc2 = Math.sqrt(1 - Math.pow(c.beta2, t));
          // p -= lr * mhat / (sqrt(vhat) + eps), with mhat = m / bc1 and sqrt(vhat) = sqrt(v) / bc2
          v.assign(v.sub(m.mul(lr / bc1).div(vv.sqrt().div(bc2).add(c.epsilon))));
        } else if (c.type === 'sgd') {
          if (c.momentum > 0) {
            const vel = s[0].mul(c.momentum).add(g);
            s[0].assign(vel);
            v.assign(v.sub(vel.mul(lr)));
          } else {
            v.assign(v.sub(g.mul(lr)));
          }
        } else {
          const ms = s[0].mul(c.rho).add(g.square().mul(1 - c.rho));
          s[0].assign(ms);
          const step = g.div(ms.sqrt().add(c.epsilon));
          if (c.momentum > 0) {
            const mom = s[1].mul(c.momentum).add(step.mul(lr));
            s[1].assign(mom);
            v.assign(v.sub(mom));
          } else {
            v.assign(v.sub(step.mul(lr)));
          }
        }
      });
      return norm;
    });
  }

  async snapshot(): Promise<OptimizerSnapshot> {
    const slots: Float32Array[][] = [];
    for (const s of this.slots) slots.push(await Promise.all(s.map(async (x) => (await x.data()) as Float32Array)));
    return { type: this.cfg.type, t: this.t, slots };
  }

  restore(snap: OptimizerSnapshot): void {
    if (snap.type !== this.cfg.type || snap.slots.length !== this.slots.length) {
      throw new Error(`checkpoint optimizer state (${snap.type}, ${snap.slots.length} variables) does not match the experiment (${this.cfg.type}, ${this.slots.length}).`);
    }
    this.t = snap.t;
    tf.tidy(() => snap.slots.forEach((arrs, i) => arrs.forEach((a, j) => this.slots[i][j].assign(tf.tensor(a, this.slots[i][j].shape)))));
  }

  dispose(): void {
    for (const s of this.slots) for (const v of s) v.dispose();
  }
}
