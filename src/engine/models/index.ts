// The model registry: one model, one file.
import type { ExperimentConfig } from '../../core/config';
import { Autoencoder } from './ae';
import { AutoencoderModel } from './base';
import { BetaVae } from './betaVae';
import { Vae } from './vae';

export { AutoencoderModel } from './base';
export type { BatchTerms, StepContext } from './base';

export function createModel(config: ExperimentConfig, exampleShape: number[]): AutoencoderModel {
  switch (config.model.kind) {
    case 'ae':
      return new Autoencoder(config, exampleShape);
    case 'vae':
      return new Vae(config, exampleShape);
    case 'beta-vae':
      return new BetaVae(config, exampleShape);
  }
}
