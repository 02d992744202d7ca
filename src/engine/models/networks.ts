// Building blocks shared by every model: an encoder trunk and a decoder, MLP or convolutional, as TF.js layers
// models (so that the final model can be saved in the TF.js layers format and loaded with tf.loadLayersModel).
import * as tf from '@tensorflow/tfjs';
import type { Activation, NetworkConfig } from '../../core/config';
import { mixSeed, Stream } from '../rng';

/** Seeded initialisers: the same run seed gives the same starting weights. */
export class Seeds {
  private k = 0;
  constructor(private readonly seed: number) {}
  next(): ReturnType<typeof tf.initializers.glorotUniform> {
    return tf.initializers.glorotUniform({ seed: mixSeed(this.seed, Stream.init, this.k++) });
  }
}

/** Apply the configured activation (leakyRelu is a layer of its own in TF.js). */
export function activate(x: tf.SymbolicTensor, activation: Activation, name: string): tf.SymbolicTensor {
  if (activation === 'leakyRelu') return tf.layers.leakyReLU({ alpha: 0.2, name }).apply(x) as tf.SymbolicTensor;
  if (activation === 'linear') return x;
  return tf.layers.activation({ activation, name }).apply(x) as tf.SymbolicTensor;
}

function dense(x: tf.SymbolicTensor, units: number, seeds: Seeds, name: string): tf.SymbolicTensor {
  return tf.layers.dense({ units, kernelInitializer: seeds.next(), biasInitializer: 'zeros', name }).apply(x) as tf.SymbolicTensor;
}

/**
 * Activations a Dense or Conv2D layer applies itself. Why it matters: a layer without its own activation runs TF.js's
 * fused matmul (or conv) op, whose gradient computes the gradient of every input, including the data fed to the
 * encoder's first layer that nobody needs (a [batch, 784] x [784, 400] product per step, 15 % of the reference
 * VAE's step). With relu or elu inside the layer, TF.js runs matmul, bias and activation as separate ops while
 * recording gradients, and backpropagation skips the inputs that need none. Other activations stay a layer of
 * their own (TF.js fuses only relu and elu into these layers).
 */
const IN_LAYER: ReadonlySet<Activation> = new Set<Activation>(['relu', 'elu']);

/** A dense layer followed by its activation. */
function denseActivated(x: tf.SymbolicTensor, units: number, activation: Activation, seeds: Seeds, name: string): tf.SymbolicTensor {
  if (IN_LAYER.has(activation)) {
    return tf.layers.dense({ units, activation: activation as 'relu', kernelInitializer: seeds.next(), biasInitializer: 'zeros', name }).apply(x) as tf.SymbolicTensor;
  }
  return activate(dense(x, units, seeds, name), activation, `${name}_act`);
}

/** Spatial size after `layers` strided 'same' convolutions. */
function downsampled(size: number, stride: number, layers: number): number {
  let s = size;
  for (let i = 0; i < layers; i++) s = Math.ceil(s / stride);
  return s;
}

/**
 * Encoder trunk: input of the example shape -> hidden features. Returns the input and the last hidden tensor;
 * the model adds its own heads (mean and log-variance for a VAE, the code for an AE).
 */
export function encoderTrunk(
  exampleShape: number[],
  net: NetworkConfig,
  seeds: Seeds,
  conditionDim = 0,
): { input: tf.SymbolicTensor; label?: tf.SymbolicTensor; hidden: tf.SymbolicTensor } {
  const input = tf.input({ shape: exampleShape, name: 'x' });
  // A conditional encoder q(z|x, y) reads the one-hot label next to the (flattened) features.
  const label = conditionDim > 0 ? tf.input({ shape: [conditionDim], name: 'y' }) : undefined;
  let h: tf.SymbolicTensor = input;
  if (net.type === 'conv') {
    const inLayer = IN_LAYER.has(net.activation);
    net.filters.forEach((f, i) => {
      h = tf.layers
        .conv2d({ filters: f, kernelSize: net.kernelSize, strides: net.stride, padding: 'same', activation: inLayer ? (net.activation as 'relu') : undefined, kernelInitializer: seeds.next(), name: `enc_conv${i}` })
        .apply(h) as tf.SymbolicTensor;
      if (!inLayer) h = activate(h, net.activation, `enc_conv${i}_act`);
    });
  }
  if (exampleShape.length > 1 || net.type === 'conv') h = tf.layers.flatten({ name: 'enc_flatten' }).apply(h) as tf.SymbolicTensor;
  if (label) h = tf.layers.concatenate({ name: 'enc_concat' }).apply([h, label]) as tf.SymbolicTensor;
  net.hidden.forEach((units, i) => (h = denseActivated(h, units, net.activation, seeds, `enc_dense${i}`)));
  return { input, label, hidden: h };
}

export function head(h: tf.SymbolicTensor, units: number, seeds: Seeds, name: string): tf.SymbolicTensor {
  return dense(h, units, seeds, name);
}

/**
 * Decoder: latent code -> the parameters of p(x|z) in the example's shape (logits for Bernoulli, means for
 * Gaussian). Mirrors the encoder when the config says so.
 */
export function buildDecoder(latentDim: number, exampleShape: number[], net: NetworkConfig, seeds: Seeds, conditionDim = 0, name = 'decoder'): tf.LayersModel {
  const z = tf.input({ shape: [latentDim], name: 'z' });
  // A conditional decoder p(x|z, y) reads the one-hot label next to the code.
  const y = conditionDim > 0 ? tf.input({ shape: [conditionDim], name: 'y' }) : undefined;
  let h: tf.SymbolicTensor = y ? (tf.layers.concatenate({ name: 'dec_concat' }).apply([z, y]) as tf.SymbolicTensor) : z;
  const hidden = net.hidden.slice().reverse();
  hidden.forEach((units, i) => (h = denseActivated(h, units, net.activation, seeds, `dec_dense${i}`)));
  const dim = exampleShape.reduce((a, b) => a * b, 1);
  if (net.type === 'conv') {
    const [height, width, channels] = exampleShape;
    const layers = net.filters.length;
    const h0 = downsampled(height, net.stride, layers);
    const w0 = downsampled(width, net.stride, layers);
    const f = net.filters.slice().reverse();
    h = denseActivated(h, h0 * w0 * f[0], net.activation, seeds, 'dec_project');
    h = tf.layers.reshape({ targetShape: [h0, w0, f[0]], name: 'dec_reshape' }).apply(h) as tf.SymbolicTensor;
    for (let i = 0; i < layers; i++) {
      const last = i === layers - 1;
      h = tf.layers
        .conv2dTranspose({
          filters: last ? channels : f[i + 1],
          kernelSize: net.kernelSize,
          strides: net.stride,
          padding: 'same',
          kernelInitializer: seeds.next(),
          name: `dec_deconv${i}`,
        })
        .apply(h) as tf.SymbolicTensor;
      if (!last) h = activate(h, net.activation, `dec_deconv${i}_act`);
    }
    const outH = h0 * Math.pow(net.stride, layers);
    const outW = w0 * Math.pow(net.stride, layers);
    if (outH !== height || outW !== width) {
      const dh = outH - height;
      const dw = outW - width;
      h = tf.layers
        .cropping2D({ cropping: [[Math.floor(dh / 2), Math.ceil(dh / 2)], [Math.floor(dw / 2), Math.ceil(dw / 2)]], name: 'dec_crop' })
        .apply(h) as tf.SymbolicTensor;
    }
  } else {
    h = dense(h, dim, seeds, 'dec_out');
    if (exampleShape.length > 1) h = tf.layers.reshape({ targetShape: exampleShape, name: 'dec_reshape' }).apply(h) as tf.SymbolicTensor;
  }
  return tf.model({ inputs: y ? [z, y] : z, outputs: h, name });
}

export function countParameters(models: tf.LayersModel[], extra: tf.Variable[] = []): number {
  let n = 0;
  for (const m of models) for (const w of m.trainableWeights) n += (w.shape as number[]).reduce((a, b) => a * b, 1);
  for (const v of extra) n += v.size;
  return n;
}

/** An MLP from codes [latentDim] to one logit (the aae's and the factor-vae's discriminators); layers named `${prefix}_...`. */
export function codeDiscriminator(latentDim: number, d: { hidden: number[]; activation: Activation }, seed: number, prefix: string, name: string): tf.LayersModel {
  const seeds = new Seeds(seed);
  const input = tf.input({ shape: [latentDim], name: 'code' });
  let h: tf.SymbolicTensor = input;
  d.hidden.forEach((units, i) => (h = activate(head(h, units, seeds, `${prefix}_dense${i}`), d.activation, `${prefix}_dense${i}_act`)));
  return tf.model({ inputs: input, outputs: head(h, 1, seeds, `${prefix}_logit`), name });
}
