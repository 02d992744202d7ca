// The latent explorer: decodes latent codes live in the panel with TF.js (cpu backend) from the run's saved
// decoder. Sliders per dimension, a 2-D manifold, a scatter of test-set codes by label, interpolation, traversal,
// and the seeds' central comparison: decoding samples of N(0, I) works for a VAE and fails for an autoencoder.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { loadLayersModel, LayersModel } from '@tensorflow/tfjs-layers';
import type { ExplorerMeta } from '../src/core/explorer';
import { FromExplorer, isToExplorer } from '../src/core/webviewProtocol';
import { fitGaussian, inverseNormalCdf, pca2, percentile, sampleMixture, slerp } from './latentMath';

interface VsCodeApi {
  postMessage(m: FromExplorer): void;
  getState(): { runDir?: string } | undefined;
  setState(s: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;
const vscode = acquireVsCodeApi();

const $ = <T extends HTMLElement>(sel: string) => document.querySelector(sel) as T;
const CLASS_COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
const SLIDER_RANGE = 3;
const MAX_SLIDERS = 32;

let meta: ExplorerMeta;
let decoder: LayersModel;
let images: Uint8Array;
let z: Float32Array;
let exampleDim = 1;
let isImage = true;
let selectedA = 0;
let selectedB = 1;
let projected: { points: [number, number][]; axes: number[][] };
const latencies: number[] = [];

// ------------------------------------------------------------------------------------------------- decoding

/** The class a conditional decoder generates (cvae); chosen in the panel. */
let condition = 0;

/** Decode codes [n, D] into examples [n, exampleDim] in data space (sigmoid of Bernoulli logits). */
function decode(codes: Float32Array, n: number): Float32Array {
  return tf.tidy(() => {
    const z = tf.tensor2d(codes, [n, meta.latentDim]);
    const classes = meta.conditionClasses ?? 0;
    const input = classes > 0 ? [z, tf.oneHot(tf.fill([n], condition, 'int32') as tf.Tensor1D, classes).toFloat()] : z;
    const out = decoder.predict(input) as tf.Tensor;
    const x = meta.outputTransform === 'sigmoid' ? tf.sigmoid(out) : out;
    return tf.reshape(x, [n, exampleDim]).dataSync() as Float32Array;
  });
}

/** Paint examples into a canvas as a grid of `cols` columns (images) or as a bar chart (vectors). */
function paint(canvas: HTMLCanvasElement, values: Float32Array, n: number, cols: number, scale: number): void {
  const ctx = canvas.getContext('2d')!;
  if (!isImage) {
    paintVectors(canvas, values, n);
    return;
  }
  const [h, w, c] = meta.exampleShape;
  const rows = Math.ceil(n / cols);
  const img = new ImageData(cols * w, rows * h);
  for (let k = 0; k < n; k++) {
    const r0 = Math.floor(k / cols) * h;
    const c0 = (k % cols) * w;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const base = k * exampleDim + (y * w + x) * c;
        const o = ((r0 + y) * cols * w + c0 + x) * 4;
        for (let j = 0; j < 3; j++) img.data[o + j] = 255 * Math.min(1, Math.max(0, values[base + (c === 1 ? 0 : j)]));
        img.data[o + 3] = 255;
      }
    }
  }
  const off = new OffscreenCanvas(img.width, img.height);
  off.getContext('2d')!.putImageData(img, 0, 0);
  canvas.width = img.width * scale;
  canvas.height = img.height * scale;
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(off, 0, 0, canvas.width, canvas.height);
}

/** Non-image data (e.g. 2-D points): each example as a row of bars, values mapped around zero. */
function paintVectors(canvas: HTMLCanvasElement, values: Float32Array, n: number): void {
  const ctx = canvas.getContext('2d')!;
  canvas.width = Math.max(120, exampleDim * 24);
  canvas.height = n * 28;
  ctx.fillStyle = getComputedStyle(document.body).getPropertyValue('--vscode-editor-background') || '#1e1e1e';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  for (let k = 0; k < n; k++) {
    for (let d = 0; d < exampleDim; d++) {
      const v = values[k * exampleDim + d];
      const hgt = Math.max(-12, Math.min(12, v * 6));
      ctx.fillStyle = CLASS_COLORS[d % CLASS_COLORS.length];
      ctx.fillRect(d * 24 + 4, k * 28 + 14 - Math.max(0, hgt), 16, Math.abs(hgt));
    }
  }
}

function exampleFromImages(i: number): Float32Array {
  const out = new Float32Array(exampleDim);
  for (let k = 0; k < exampleDim; k++) out[k] = images[i * exampleDim + k] / 255;
  return out;
}

// ---------------------------------------------------------------------------------------------------- sliders

function buildSliders(): void {
  const box = $('#sliders');
  const shown = Math.min(meta.latentDim, MAX_SLIDERS);
  box.innerHTML = '';
  for (let d = 0; d < shown; d++) {
    const label = document.createElement('label');
    label.innerHTML = `<span>z${d}</span><input type="range" min="${-SLIDER_RANGE}" max="${SLIDER_RANGE}" step="0.05" value="0" data-dim="${d}" aria-label="latent dimension ${d}"><output>0.00</output>`;
    box.appendChild(label);
  }
  if (meta.latentDim > shown) $('#slider-note').textContent = `Showing the first ${shown} of ${meta.latentDim} dimensions; the others stay at 0.`;
  box.addEventListener('input', (e) => {
    const input = e.target as HTMLInputElement;
    const d = Number(input.dataset.dim);
    z[d] = Number(input.value);
    (input.nextElementSibling as HTMLOutputElement).value = z[d].toFixed(2);
    // Draw at once, so that the very next frame shows the new image; measure the input event -> that frame, and
    // the decode + draw cost on its own.
    const t0 = e.timeStamp;
    const d0 = performance.now();
    drawSliderImage();
    drawCosts.push(performance.now() - d0);
    requestAnimationFrame(() => recordLatency(performance.now() - t0));
  });
}

/** Decode + draw time of each slider move (ms), next to the input-to-frame latencies. */
const drawCosts: number[] = [];

function setSliders(values: Float32Array): void {
  z = Float32Array.from(values);
  document.querySelectorAll<HTMLInputElement>('#sliders input').forEach((input) => {
    const d = Number(input.dataset.dim);
    input.value = String(z[d]);
    (input.nextElementSibling as HTMLOutputElement).value = z[d].toFixed(2);
  });
  drawSliderImage();
}

function drawSliderImage(): void {
  const canvas = $<HTMLCanvasElement>('#decoded');
  paint(canvas, decode(z, 1), 1, 1, isImage ? 8 : 1);
  canvas.dataset.version = String(Number(canvas.dataset.version ?? 0) + 1);
}

function recordLatency(ms: number): void {
  latencies.push(ms);
  const sorted = latencies.slice().sort((a, b) => a - b);
  document.body.dataset.latencyCount = String(latencies.length);
  document.body.dataset.latencyP50 = percentile(sorted, 0.5).toFixed(2);
  document.body.dataset.latencyP95 = percentile(sorted, 0.95).toFixed(2);
  const costs = drawCosts.slice().sort((a, b) => a - b);
  document.body.dataset.drawP50 = percentile(costs, 0.5).toFixed(2);
  document.body.dataset.drawP95 = percentile(costs, 0.95).toFixed(2);
  if (latencies.length % 50 === 0) vscode.postMessage({ type: 'latency', samples: latencies.slice(-50) });
}

// --------------------------------------------------------------------------------------------------- manifold

function buildManifoldControls(): void {
  for (const id of ['#dim-x', '#dim-y', '#traverse-dim']) {
    const sel = $<HTMLSelectElement>(id);
    sel.innerHTML = Array.from({ length: meta.latentDim }, (_, d) => `<option value="${d}">z${d}</option>`).join('');
  }
  // Default to the two dimensions whose codes vary most (the most informative pair).
  const variance = fitGaussian(meta.means).std.map((s) => s * s);
  const order = variance.map((v, d) => [v, d] as const).sort((a, b) => b[0] - a[0]);
  $<HTMLSelectElement>('#dim-x').value = String(order[0][1]);
  $<HTMLSelectElement>('#dim-y').value = String(order[Math.min(1, order.length - 1)][1]);
  $<HTMLSelectElement>('#traverse-dim').value = String(order[0][1]);
  for (const id of ['#dim-x', '#dim-y']) $(id).addEventListener('change', drawManifold);
  $('#traverse-dim').addEventListener('change', drawTraversal);
}

/** Decode a grid over two dimensions at the normal quantiles of linspace(0.05, 0.95), as Kingma and Welling. */
function drawManifold(): void {
  if (!isImage || meta.latentDim < 2) {
    $('#manifold-section').hidden = true;
    return;
  }
  const n = 15;
  const dx = Number($<HTMLSelectElement>('#dim-x').value);
  const dy = Number($<HTMLSelectElement>('#dim-y').value);
  const codes = new Float32Array(n * n * meta.latentDim);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      const k = r * n + c;
      codes[k * meta.latentDim + dx] = inverseNormalCdf(0.05 + (0.9 * c) / (n - 1));
      codes[k * meta.latentDim + dy] = inverseNormalCdf(0.95 - (0.9 * r) / (n - 1));
    }
  }
  paint($<HTMLCanvasElement>('#manifold'), decode(codes, n * n), n * n, n, 2);
}

// ---------------------------------------------------------------------------------------------------- scatter

function drawScatter(): void {
  const canvas = $<HTMLCanvasElement>('#scatter');
  const ctx = canvas.getContext('2d')!;
  const size = 380;
  canvas.width = size;
  canvas.height = size;
  const fg = getComputedStyle(document.body).getPropertyValue('--vscode-foreground') || '#ccc';
  ctx.clearRect(0, 0, size, size);
  const all = projected.points;
  const extent = Math.max(3, ...all.map((p) => Math.max(Math.abs(p[0]), Math.abs(p[1])))) * 1.05;
  const toPx = (v: number, flip = false) => (flip ? size / 2 - (v / extent) * (size / 2) : size / 2 + (v / extent) * (size / 2));
  ctx.globalAlpha = 0.7;
  all.forEach((p, i) => {
    ctx.fillStyle = meta.labels ? CLASS_COLORS[meta.labels[i] % CLASS_COLORS.length] : fg;
    ctx.fillRect(toPx(p[0]) - 1.5, toPx(p[1], true) - 1.5, 3, 3);
  });
  ctx.globalAlpha = 1;
  // The prior's 1 and 2 standard deviations (a projection of N(0, I) onto orthonormal axes is still N(0, I)).
  ctx.strokeStyle = fg;
  ctx.lineWidth = 1.5;
  ctx.setLineDash([5, 4]);
  for (const r of [1, 2]) {
    ctx.beginPath();
    ctx.arc(size / 2, size / 2, (r / extent) * (size / 2), 0, 2 * Math.PI);
    ctx.stroke();
  }
  ctx.setLineDash([]);
  ctx.lineWidth = 1;
  for (const [i, name] of [[selectedA, 'A'], [selectedB, 'B']] as const) {
    const p = all[i];
    ctx.strokeStyle = fg;
    ctx.strokeRect(toPx(p[0]) - 5, toPx(p[1], true) - 5, 10, 10);
    ctx.fillStyle = fg;
    ctx.fillText(name, toPx(p[0]) + 7, toPx(p[1], true) - 7);
  }
  canvas.onclick = (ev) => {
    const rect = canvas.getBoundingClientRect();
    const x = ((ev.clientX - rect.left) * size) / rect.width;
    const y = ((ev.clientY - rect.top) * size) / rect.height;
    let best = 0;
    let bestD = Infinity;
    all.forEach((p, i) => {
      const d = (toPx(p[0]) - x) ** 2 + (toPx(p[1], true) - y) ** 2;
      if (d < bestD) {
        bestD = d;
        best = i;
      }
    });
    if (ev.shiftKey) selectedB = best;
    else selectedA = best;
    showSelection();
    drawScatter();
    drawInterpolation();
    drawTraversal();
  };
  const legend = $('#legend');
  legend.replaceChildren();
  (meta.classNames ?? []).forEach((name, k) => {
    const item = document.createElement('span');
    item.textContent = ` ${name} `;
    item.style.color = CLASS_COLORS[k % CLASS_COLORS.length];
    legend.appendChild(item);
  });
  $('#scatter-note').textContent =
    meta.latentDim > 2
      ? `Codes of ${meta.n} test examples projected on their two principal components (${projected.axes.length} of ${meta.latentDim} dimensions). Dashed circles: 1 and 2 standard deviations of the prior N(0, I).`
      : `Codes of ${meta.n} test examples. Dashed circles: 1 and 2 standard deviations of the prior N(0, I).`;
}

function showSelection(): void {
  const codes = new Float32Array(2 * meta.latentDim);
  codes.set(meta.means[selectedA], 0);
  codes.set(meta.means[selectedB], meta.latentDim);
  const recon = decode(codes, 2);
  const both = new Float32Array(4 * exampleDim);
  both.set(exampleFromImages(selectedA), 0);
  both.set(recon.subarray(0, exampleDim), exampleDim);
  both.set(exampleFromImages(selectedB), 2 * exampleDim);
  both.set(recon.subarray(exampleDim), 3 * exampleDim);
  paint($<HTMLCanvasElement>('#selection'), both, 4, 2, 4);
  const lab = (i: number) => (meta.labels ? ` (label ${meta.classNames?.[meta.labels[i]] ?? meta.labels[i]})` : '');
  $('#selection-note').textContent = `A = test example ${selectedA}${lab(selectedA)}, B = ${selectedB}${lab(selectedB)}: inputs (left) and reconstructions (right). Click a point to choose A, Shift+click for B; "Use A in sliders" sets the sliders to A's code.`;
}

// ------------------------------------------------------------------------------------ interpolation, traversal

function drawInterpolation(): void {
  const steps = 10;
  const a = Float32Array.from(meta.means[selectedA]);
  const b = Float32Array.from(meta.means[selectedB]);
  const lin = new Float32Array(steps * meta.latentDim);
  const sph = new Float32Array(steps * meta.latentDim);
  for (let k = 0; k < steps; k++) {
    const t = k / (steps - 1);
    for (let d = 0; d < meta.latentDim; d++) lin[k * meta.latentDim + d] = (1 - t) * a[d] + t * b[d];
    sph.set(slerp(a, b, t), k * meta.latentDim);
  }
  paint($<HTMLCanvasElement>('#interp-linear'), decode(lin, steps), steps, steps, 3);
  paint($<HTMLCanvasElement>('#interp-slerp'), decode(sph, steps), steps, steps, 3);
}

function drawTraversal(): void {
  const steps = 11;
  const d = Number($<HTMLSelectElement>('#traverse-dim').value);
  const codes = new Float32Array(steps * meta.latentDim);
  for (let k = 0; k < steps; k++) {
    codes.set(meta.means[selectedA], k * meta.latentDim);
    codes[k * meta.latentDim + d] = -SLIDER_RANGE + (2 * SLIDER_RANGE * k) / (steps - 1);
  }
  paint($<HTMLCanvasElement>('#traversal'), decode(codes, steps), steps, steps, 3);
}

// ------------------------------------------------------------------------------------------- codes vs prior

/** Kinds whose prior is N(0, I) (for the others the engine sends draws of their own prior). */
const STANDARD_PRIOR: ReadonlySet<string> = new Set(['ae', 'linear-ae', 'sparse-ae', 'denoising-ae', 'contractive-ae', 'vae', 'beta-vae', 'beta-tcvae', 'info-vae', 'dip-vae', 'factor-vae', 'cvae', 'iwae', 'flow-vae', 'wae', 'rae']);

/**
 * The seeds' argument made visible: decode draws from the prior, from a Gaussian fitted to the codes and from the
 * post-hoc mixture.
 */
function drawPriorComparison(seed: number): void {
  const n = 32;
  const rng = mulberry(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
  const fit = fitGaussian(meta.means);
  const prior = new Float32Array(n * meta.latentDim);
  const fitted = new Float32Array(n * meta.latentDim);
  for (let i = 0; i < n * meta.latentDim; i++) {
    const d = i % meta.latentDim;
    const e = normal();
    prior[i] = e;
    fitted[i] = fit.mean[d] + fit.std[d] * e;
  }
  // Kinds whose prior is not N(0, I) (VampPrior, hvae, vq-vae, gumbel-vae) sent draws of their own prior.
  const own = meta.priorCodes && !STANDARD_PRIOR.has(meta.kind) ? meta.priorCodes : undefined;
  if (own) for (let t = 0; t < n; t++) prior.set(own[Math.floor(rng() * own.length)], t * meta.latentDim);
  $('#prior-label').textContent = own ? `z ~ p(z), the ${meta.kind}'s own prior` : 'z ~ N(0, I), the prior';
  paint($<HTMLCanvasElement>('#prior-samples'), decode(prior, n), n, 8, 2);
  paint($<HTMLCanvasElement>('#fitted-samples'), decode(fitted, n), n, 8, 2);
  const mixLabel = $('#mixture-label');
  const mixCanvas = $<HTMLCanvasElement>('#mixture-samples');
  mixLabel.hidden = mixCanvas.hidden = !meta.mixture;
  if (meta.mixture) {
    mixLabel.textContent = `z ~ the post-hoc sampler: a mixture of ${meta.mixture.components.length} Gaussians (${meta.mixture.covariance} covariances) fitted to ${meta.mixture.fitExamples} training codes`;
    paint(mixCanvas, decode(sampleMixture(meta.mixture.components, n, rng, normal), n), n, 8, 2);
  }
  const meanAbs = fit.mean.reduce((s, v) => s + Math.abs(v), 0) / meta.latentDim;
  const stdAvg = fit.std.reduce((s, v) => s + v, 0) / meta.latentDim;
  const noPrior = ['ae', 'linear-ae', 'sparse-ae', 'denoising-ae', 'contractive-ae', 'rae'].includes(meta.kind);
  const verdict = noPrior
    ? `This ${meta.kind} was never asked to make its codes look like N(0, I): they sit wherever reconstruction put them, so most draws from N(0, I) land where no training code was and decode to noise or blends. A Gaussian fitted to the codes does better, but holes remain; the mixture fitted to them (the post-hoc sampler) follows their clusters.`
    : own
      ? `The ${meta.kind} learns or fits its own prior, so its draws land where its codes are; the mixture fitted to the codes is the post-hoc alternative.`
      : 'The objective pulled the codes toward N(0, I), so the codes fill the prior and draws from it decode to plausible examples; the post-hoc mixture shows what a prior fitted to the codes would add.';
  $('#prior-note').textContent = `Codes of the test set: mean |E[z_d]| = ${meanAbs.toFixed(2)}, mean std = ${stdAvg.toFixed(2)} (the prior has 0 and 1). ${verdict}`;
}

function mulberry(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    let t = (s = (s + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ------------------------------------------------------------------------------------------------------ start

async function start(msg: { meta: ExplorerMeta; decoderUrl: string; imagesUrl: string }): Promise<void> {
  meta = msg.meta;
  vscode.setState({ ...(vscode.getState() ?? {}), runId: meta.runId });
  await tf.setBackend('cpu');
  exampleDim = meta.exampleShape.reduce((a, b) => a * b, 1);
  isImage = meta.exampleShape.length === 3;
  decoder = await loadLayersModel(msg.decoderUrl);
  images = new Uint8Array(await (await fetch(msg.imagesUrl)).arrayBuffer());
  z = new Float32Array(meta.latentDim);
  projected = pca2(meta.means);
  $('#title').textContent = `${meta.experiment} / ${meta.runId}`;
  $('#subtitle').textContent = `${meta.kind}, ${meta.latentDim} latent dimensions, decoder from the ${meta.source}; decoded in this panel with TF.js (${tf.getBackend()} backend).`;
  selectedB = Math.min(1, meta.n - 1);
  buildSliders();
  buildManifoldControls();
  drawSliderImage();
  drawManifold();
  drawScatter();
  showSelection();
  drawInterpolation();
  drawTraversal();
  drawPriorComparison(1);
  if (meta.conditionClasses) {
    // A cvae decodes (z, y): choose y, and every view redraws for that class.
    const sel = $<HTMLSelectElement>('#condition');
    sel.hidden = false;
    sel.innerHTML = Array.from({ length: meta.conditionClasses }, (_, c) => `<option value="${c}">class ${meta.classNames?.[c] ?? c}</option>`).join('');
    sel.addEventListener('change', () => {
      condition = Number(sel.value);
      drawSliderImage();
      drawManifold();
      drawInterpolation();
      drawTraversal();
      drawPriorComparison(1);
    });
  }
  $('#reset').addEventListener('click', () => setSliders(new Float32Array(meta.latentDim)));
  $('#random').addEventListener('click', () => {
    const rng = mulberry(Math.floor(Math.random() * 1e9));
    setSliders(Float32Array.from({ length: meta.latentDim }, () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng())));
  });
  $('#use-a').addEventListener('click', () => setSliders(Float32Array.from(meta.means[selectedA])));
  $('#resample').addEventListener('click', () => drawPriorComparison(Math.floor(Math.random() * 1e9)));
  document.body.dataset.ready = 'true';
  $('#loading').hidden = true;
  $('#content').hidden = false;
  vscode.postMessage({ type: 'loaded' });
}

window.addEventListener('message', (ev: MessageEvent) => {
  if (!isToExplorer(ev.data)) {
    console.warn('VAE Lab explorer: ignored a malformed message', ev.data);
    return;
  }
  start(ev.data).catch((err: Error) => {
    $('#loading').textContent = `Could not load the decoder: ${err.message}`;
    vscode.postMessage({ type: 'error', message: err.message });
  });
});

vscode.postMessage({ type: 'ready' });
