// Procedurally generated dSprites-like images (Matthey et al. 2017): a white square, ellipse or heart on black,
// with its scale, rotation and position drawn from discrete grids. The ground-truth factors are kept for
// disentanglement metrics. Deterministic by seed.
import { Rng } from '../rng';
import { Dataset } from './dataset';

export const SHAPE_NAMES = ['square', 'ellipse', 'heart'];
export const SHAPE_FACTORS = ['shape', 'scale', 'rotation', 'posX', 'posY'];
const SCALES = [0.5, 0.6, 0.7, 0.8, 0.9, 1.0];
const ROTATIONS = 40;
const POSITIONS = 32;
/** Supersampling per axis for anti-aliased edges. */
const SS = 3;

function inside(shape: number, u: number, v: number): boolean {
  switch (shape) {
    case 0:
      return Math.abs(u) <= 0.8 && Math.abs(v) <= 0.8;
    case 1:
      return u * u + (v * v) / 0.36 <= 1;
    default: {
      // Heart curve (x^2 + y^2 - 1)^3 - x^2 y^3 <= 0, flipped so that the point is at the bottom (image y grows down).
      const x = u * 1.15;
      const y = -v * 1.15 + 0.1;
      const a = x * x + y * y - 1;
      return a * a * a - x * x * y * y * y <= 0;
    }
  }
}

export function generateShapes(count: number, size: number, seed: number): Dataset {
  const rng = new Rng(seed);
  const x = new Float32Array(count * size * size);
  const labels = new Int32Array(count);
  const nf = SHAPE_FACTORS.length;
  const factors = new Float32Array(count * nf);
  for (let i = 0; i < count; i++) {
    const shape = rng.int(3);
    const scale = SCALES[rng.int(SCALES.length)];
    const rotation = (rng.int(ROTATIONS) / ROTATIONS) * 2 * Math.PI;
    const px = rng.int(POSITIONS) / (POSITIONS - 1);
    const py = rng.int(POSITIONS) / (POSITIONS - 1);
    const radius = 0.2 * size * scale; // half-size of the shape in pixels
    const margin = radius * 1.2 + 1;
    const cx = margin + px * (size - 2 * margin);
    const cy = margin + py * (size - 2 * margin);
    const cos = Math.cos(rotation);
    const sin = Math.sin(rotation);
    const base = i * size * size;
    for (let r = 0; r < size; r++) {
      for (let c = 0; c < size; c++) {
        let hits = 0;
        for (let a = 0; a < SS; a++) {
          for (let b = 0; b < SS; b++) {
            const dx = c + (b + 0.5) / SS - cx;
            const dy = r + (a + 0.5) / SS - cy;
            const u = (cos * dx + sin * dy) / radius;
            const v = (-sin * dx + cos * dy) / radius;
            if (inside(shape, u, v)) hits++;
          }
        }
        x[base + r * size + c] = hits / (SS * SS);
      }
    }
    labels[i] = shape;
    factors.set([shape, scale, rotation, px, py], i * nf);
  }
  return { x, n: count, shape: [size, size, 1], labels, classNames: SHAPE_NAMES.slice(), factors, factorNames: SHAPE_FACTORS.slice() };
}
