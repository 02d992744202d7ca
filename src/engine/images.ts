// PNG images of a run: grids of examples (images) and scatter plots (2-D points). Pure functions of arrays.
import { PNG } from 'pngjs';

/**
 * Tile images [n, h, w, c] (values in [0, 1], clipped) into a grid with `cols` columns and a 1-pixel gap.
 * Returns PNG bytes.
 */
export function imageGrid(values: Float32Array, n: number, shape: number[], cols: number, scale = 2): Buffer {
  const [h, w, c] = shape;
  const rows = Math.ceil(n / cols);
  const gap = 1;
  const W = (cols * (w + gap) + gap) * scale;
  const H = (rows * (h + gap) + gap) * scale;
  const png = new PNG({ width: W, height: H });
  png.data.fill(0);
  for (let i = 3; i < png.data.length; i += 4) png.data[i] = 255;
  // separators in mid grey so that black backgrounds of neighbouring images stay distinguishable
  for (let i = 0; i < W * H; i++) png.data.fill(64, i * 4, i * 4 + 3);
  for (let k = 0; k < n; k++) {
    const r0 = Math.floor(k / cols) * (h + gap) + gap;
    const c0 = (k % cols) * (w + gap) + gap;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const base = ((k * h + y) * w + x) * c;
        const rgb = c === 1 ? [values[base], values[base], values[base]] : [values[base], values[base + 1], values[base + 2]];
        for (let sy = 0; sy < scale; sy++) {
          for (let sx = 0; sx < scale; sx++) {
            const o = (((r0 + y) * scale + sy) * W + (c0 + x) * scale + sx) * 4;
            for (let j = 0; j < 3; j++) png.data[o + j] = Math.round(255 * Math.min(1, Math.max(0, rgb[j])));
          }
        }
      }
    }
  }
  return PNG.sync.write(png);
}

export interface ScatterLayer {
  points: Float32Array; // x0, y0, x1, y1, ...
  color: [number, number, number];
}

/** A square scatter plot of 2-D point layers drawn in order, framed to the first layer's extent. Returns PNG bytes. */
export function scatterPlot(layers: ScatterLayer[], size = 320): Buffer {
  const png = new PNG({ width: size, height: size });
  for (let i = 0; i < size * size; i++) png.data.set([255, 255, 255, 255], i * 4);
  const ref = layers[0].points;
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of ref) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const pad = (hi - lo) * 0.15 + 1e-6;
  lo -= pad;
  hi += pad;
  const toPx = (v: number) => Math.round(((v - lo) / (hi - lo)) * (size - 1));
  for (const layer of layers) {
    for (let i = 0; i + 1 < layer.points.length; i += 2) {
      const px = toPx(layer.points[i]);
      const py = size - 1 - toPx(layer.points[i + 1]);
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const x = px + dx;
          const y = py + dy;
          if (x < 0 || y < 0 || x >= size || y >= size) continue;
          png.data.set([...layer.color, 255], (y * size + x) * 4);
        }
      }
    }
  }
  return PNG.sync.write(png);
}
