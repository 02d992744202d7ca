// Contractive autoencoder (Rifai et al. 2011): reconstruction + lambda * ||J_f(x)||_F^2, the squared Frobenius norm
// of the encoder's Jacobian, which makes the code insensitive to small moves of the input (seed 003).
//
// For one sigmoid layer h = sigmoid(W^T x + b) the penalty has the closed form
//   ||J||_F^2 = sum_j (h_j (1 - h_j))^2 sum_i W_ij^2.
// For deeper MLP encoders the Jacobian is built explicitly by the chain rule,
//   J = diag(s_L) W_L^T diag(s_{L-1}) W_{L-1}^T ... diag(s_1) W_1^T,  s_l = activation'(a_l),
// one row per code unit, with ordinary (first-order) tensor ops, so that training differentiates it exactly.
// (TF.js's gradients of gradients are not reliable, so tf.grad inside the loss is not used.)
import * as tf from '@tensorflow/tfjs';
import type { Activation, ModelKind } from '../../core/config';
import { Autoencoder } from './ae';
import type { StepContext } from './base';

/** activation'(a), given the pre-activation a and the output h = activation(a). */
function derivative(act: Activation, a: tf.Tensor, h: tf.Tensor): tf.Tensor {
  switch (act) {
    case 'relu':
      return tf.step(a);
    case 'sigmoid':
      return h.mul(tf.sub(1, h));
    case 'tanh':
      return tf.sub(1, h.square());
    // Masks with tf.step, whose gradient exists (zero), unlike tf.greater's.
    case 'elu':
      return tf.step(a).add(tf.sub(1, tf.step(a)).mul(h.add(1)));
    case 'softplus':
      return tf.sigmoid(a);
    case 'leakyRelu':
      return tf.step(a).mul(0.8).add(0.2);
    case 'linear':
      return tf.onesLike(a);
  }
}

function apply(act: Activation, a: tf.Tensor): tf.Tensor {
  switch (act) {
    case 'leakyRelu':
      return tf.leakyRelu(a, 0.2);
    case 'linear':
      return a;
    default:
      return tf[act](a);
  }
}

export class ContractiveAutoencoder extends Autoencoder {
  override readonly kind: ModelKind = 'contractive-ae';

  /** The encoder's dense layers in order (hidden layers, then the code layer) with their activations. */
  private denseLayers(): { kernel: tf.Tensor2D; bias: tf.Tensor1D; act: Activation }[] {
    const hiddenAct = this.config.model.encoder.activation;
    const names = this.config.model.encoder.hidden.map((_, i) => `enc_dense${i}`).concat('z');
    return names.map((name, i) => {
      const [k, b] = this.encoder.getLayer(name).trainableWeights.map((w) => w.read());
      return { kernel: k as tf.Tensor2D, bias: b as tf.Tensor1D, act: i === names.length - 1 ? this.config.model.codeActivation : hiddenAct };
    });
  }

  /** Mean over the batch of ||J_f(x)||_F^2 (closed form for a single sigmoid layer). */
  jacobianNormSq(x: tf.Tensor): tf.Scalar {
    return tf.tidy(() => {
      const layers = this.denseLayers();
      const b = x.shape[0];
      let h: tf.Tensor = x.reshape([b, -1]);
      const slopes: tf.Tensor2D[] = [];
      for (const l of layers) {
        const a = h.matMul(l.kernel).add(l.bias);
        const out = apply(l.act, a);
        slopes.push(derivative(l.act, a, out) as tf.Tensor2D);
        h = out;
      }
      if (layers.length === 1 && layers[0].act === 'sigmoid') {
        // Closed form: sum_j s_j^2 sum_i W_ij^2.
        return slopes[0].square().mul(layers[0].kernel.square().sum(0)).sum(1).mean() as tf.Scalar;
      }
      // Rows of J for every code unit at once: M [B, D, d], starting with diag(s_L) W_L^T.
      const L = layers.length - 1;
      const d = this.latentDim;
      let m: tf.Tensor = slopes[L].expandDims(2).mul(layers[L].kernel.transpose().expandDims(0)); // [B, D, d_{L-1}]
      for (let l = L - 1; l >= 0; l--) {
        const scaled = m.mul(slopes[l].expandDims(1)); // [B, D, d_l]
        const width = scaled.shape[2]!;
        m = scaled.reshape([b * d, width]).matMul(layers[l].kernel, false, true).reshape([b, d, -1]); // [B, D, d_{l-1}]
      }
      return m.square().sum([1, 2]).mean() as tf.Scalar;
    });
  }

  protected override codePenalty(_z: tf.Tensor2D, x: tf.Tensor, _ctx: StepContext): { value: tf.Scalar; metrics: Record<string, tf.Scalar> } {
    const jac = this.jacobianNormSq(x);
    return { value: jac.mul(this.config.objective.contraction!.weight) as tf.Scalar, metrics: { jacobianNormSq: jac } };
  }
}
