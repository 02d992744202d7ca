// Procedurally generated dSprites-like images (Matthey et al. 2017): a white square, ellipse or heart on black,
// with its scale, rotation and position drawn from discrete grids. The ground-truth factors are kept for
// disentanglement metrics. Deterministic by seed.
//
// The five factors and their grids (as in dSprites): shape (3), scale (6 values 0.5..1), rotation (40 angles
// 0..2π·39/40), posX and posY (32 positions each). An image is a function of the five grid indices alone
// (renderShape), so that the disentanglement scores that need factor-conditioned samples (the beta-VAE and
// FactorVAE scores, src/engine/scores.ts) can draw images with chosen factors. Rotation is not identifiable from the
// image for every shape: a square looks the same every 90 degrees, an ellipse every 180; dSprites (and
// disentanglement_lib) keep the factor all the same.
import { Rng } from '../rng';
import { Dataset } from './dataset';

export const SHAPE_NAMES = ['square', 'ellipse', 'heart'];
export const SHAPE_FACTORS = ['shape', 'scale', 'rotation', 'posX', 'posY'];
const SCALES = [0.5, 0.6, 0.7, 0.8, 0.9, 1.0];
const ROTATIONS = 40;
const POSITIONS = 32;
/** The number of values of each factor, in SHAPE_FACTORS order: 3 shapes, 6 scales, 40 rotations, 32 x 32 positions. */
export const SHAPE_FACTOR_SIZES: readonly number[] = [SHAPE_NAMES.length, SCALES.length, ROTATIONS, POSITIONS, POSITIONS];
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

/**
 * The factor values of grid indices [shape, scale, rotation, posX, posY]: the shape's index, the scale (0.5..1), the
 * angle in radians, and the positions in [0, 1]. These are the values a data set's `factors` hold.
 */
export function shapeFactorValues(indices: ArrayLike<number>): [number, number, number, number, number] {
  return [indices[0], SCALES[indices[1]], (indices[2] / ROTATIONS) * 2 * Math.PI, indices[3] / (POSITIONS - 1), indices[4] / (POSITIONS - 1)];
}

/** Independent uniform draws of the five grid indices (the order generateShapes draws them in). */
export function sampleShapeFactors(rng: Rng): number[] {
  return SHAPE_FACTOR_SIZES.map((n) => rng.int(n));
}

function checkIndices(indices: ArrayLike<number>): void {
  for (let k = 0; k < SHAPE_FACTOR_SIZES.length; k++) {
    const v = indices[k];
    if (!Number.isInteger(v) || v < 0 || v >= SHAPE_FACTOR_SIZES[k]) throw new RangeError(`shapes: factor ${SHAPE_FACTORS[k]} must be an integer in 0..${SHAPE_FACTOR_SIZES[k] - 1}, got ${v}`);
  }
}

/** Draw one image (size x size, values in [0, 1]) with the factors' grid indices into out at `offset`. */
export function renderShape(indices: ArrayLike<number>, size: number, out: Float32Array, offset = 0): void {
  checkIndices(indices);
  const [shape, scale, rotation, px, py] = shapeFactorValues(indices);
  const radius = 0.2 * size * scale; // half-size of the shape in pixels
  const margin = radius * 1.2 + 1;
  const cx = margin + px * (size - 2 * margin);
  const cy = margin + py * (size - 2 * margin);
  const cos = Math.cos(rotation);
  const sin = Math.sin(rotation);
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
      out[offset + r * size + c] = hits / (SS * SS);
    }
  }
}

/** Images for rows of grid indices: rows.length x size x size values, image after image. */
export function renderShapes(rows: ArrayLike<number>[], size: number): Float32Array {
  const x = new Float32Array(rows.length * size * size);
  rows.forEach((row, i) => renderShape(row, size, x, i * size * size));
  return x;
}

export function generateShapes(count: number, size: number, seed: number): Dataset {
  const rng = new Rng(seed);
  const x = new Float32Array(count * size * size);
  const labels = new Int32Array(count);
  const nf = SHAPE_FACTORS.length;
  const factors = new Float32Array(count * nf);
  for (let i = 0; i < count; i++) {
    const indices = sampleShapeFactors(rng);
    renderShape(indices, size, x, i * size * size);
    labels[i] = indices[0];
    factors.set(shapeFactorValues(indices), i * nf);
  }
  return { x, n: count, shape: [size, size, 1], labels, classNames: SHAPE_NAMES.slice(), factors, factorNames: SHAPE_FACTORS.slice() };
}
