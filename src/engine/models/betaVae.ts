// beta-VAE (Higgins et al. 2017): the ELBO with the KL weighted by beta (default 4), which trades reconstruction
// for a more factorised code. With a capacity target (Burgess et al. 2018) the penalty becomes beta * |KL - C|,
// with C growing linearly from 0 to its maximum, so that the KL is allowed to grow in a controlled way.
import type { ModelKind } from '../../core/config';
import { Vae } from './vae';

export class BetaVae extends Vae {
  override readonly kind: ModelKind = 'beta-vae';

  protected override capacityAt(step: number): number | undefined {
    const c = this.config.objective.capacity;
    if (!c) return undefined;
    return c.max * Math.min(1, step / c.steps);
  }
}
