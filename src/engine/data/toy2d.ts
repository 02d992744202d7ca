// Two-dimensional point sets for watching a VAE fit a density: two moons, concentric rings, a pinwheel and a
// mixture of 8 Gaussians. Labels name the component each point came from.
import { Rng } from '../rng';
import { Dataset } from './dataset';

export type Toy2dName = 'moons' | 'rings' | 'pinwheel' | '8gaussians';

export function generateToy2d(name: Toy2dName, count: number, noise: number, seed: number): Dataset {
  const rng = new Rng(seed);
  const x = new Float32Array(count * 2);
  const labels = new Int32Array(count);
  let classNames: string[];
  for (let i = 0; i < count; i++) {
    let px: number;
    let py: number;
    let label: number;
    switch (name) {
      case 'moons': {
        label = i % 2;
        const t = rng.next() * Math.PI;
        px = label === 0 ? Math.cos(t) : 1 - Math.cos(t);
        py = label === 0 ? Math.sin(t) : 0.5 - Math.sin(t);
        px -= 0.5;
        py -= 0.25;
        break;
      }
      case 'rings': {
        label = i % 3;
        const t = rng.next() * 2 * Math.PI;
        const radius = 0.5 + label * 0.75;
        px = radius * Math.cos(t);
        py = radius * Math.sin(t);
        break;
      }
      case 'pinwheel': {
        label = i % 5;
        const r = 0.3 + Math.abs(rng.normal()) * 0.9;
        const base = (label / 5) * 2 * Math.PI;
        const t = base + 0.8 * r; // each arm curls with its radius
        const w = rng.normal() * 0.08;
        px = r * Math.cos(t) - w * Math.sin(t);
        py = r * Math.sin(t) + w * Math.cos(t);
        break;
      }
      default: {
        label = i % 8;
        const t = (label / 8) * 2 * Math.PI;
        px = 2 * Math.cos(t) + rng.normal() * 0.1;
        py = 2 * Math.sin(t) + rng.normal() * 0.1;
        break;
      }
    }
    x[2 * i] = px + rng.normal() * noise;
    x[2 * i + 1] = py + rng.normal() * noise;
    labels[i] = label;
  }
  classNames = name === 'moons' ? ['upper', 'lower'] : Array.from({ length: name === 'rings' ? 3 : name === 'pinwheel' ? 5 : 8 }, (_, k) => String(k));
  return { x, n: count, shape: [2], labels, classNames };
}
