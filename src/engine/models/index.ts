// The model registry: one model, one file.
import type { ExperimentConfig } from '../../core/config';
import { AdversarialAutoencoder } from './aae';
import { Autoencoder } from './ae';
import { AutoencoderModel } from './base';
import { BetaTcVae } from './betaTcVae';
import { BetaVae } from './betaVae';
import { ContractiveAutoencoder } from './contractiveAe';
import { Cvae } from './cvae';
import { DenoisingAutoencoder } from './denoisingAe';
import { DipVae } from './dipVae';
import { FactorVae } from './factorVae';
import { GumbelVae } from './gumbelVae';
import { InfoVae } from './infoVae';
import { Iwae } from './iwae';
import { LinearAutoencoder } from './linearAe';
import { FlowVae } from './flowVae';
import { Hvae } from './hvae';
import { Rae } from './rae';
import { SparseAutoencoder } from './sparseAe';
import { Vae } from './vae';
import { VampVae } from './vampVae';
import { VqVae } from './vqVae';
import { Wae } from './wae';

export { AutoencoderModel } from './base';
export type { BatchTerms, OptimizerGroup, StepContext } from './base';

/**
 * Build the model an experiment describes. `numClasses` is the number of label classes of the data (0: none);
 * `trainExamples` the size of the training set (beta-tcvae's aggregate posterior; 0: unknown, the batch stands for it).
 */
export function createModel(config: ExperimentConfig, exampleShape: number[], numClasses = 0, trainExamples = 0): AutoencoderModel {
  switch (config.model.kind) {
    case 'ae':
      return new Autoencoder(config, exampleShape);
    case 'linear-ae':
      return new LinearAutoencoder(config, exampleShape);
    case 'sparse-ae':
      return new SparseAutoencoder(config, exampleShape);
    case 'denoising-ae':
      return new DenoisingAutoencoder(config, exampleShape);
    case 'contractive-ae':
      return new ContractiveAutoencoder(config, exampleShape);
    case 'vae':
      return new Vae(config, exampleShape);
    case 'beta-vae':
      return new BetaVae(config, exampleShape);
    case 'beta-tcvae':
      return new BetaTcVae(config, exampleShape, trainExamples);
    case 'cvae':
      return new Cvae(config, exampleShape, numClasses);
    case 'iwae':
      return new Iwae(config, exampleShape);
    case 'aae':
      return new AdversarialAutoencoder(config, exampleShape);
    case 'info-vae':
      return new InfoVae(config, exampleShape);
    case 'dip-vae':
      return new DipVae(config, exampleShape);
    case 'factor-vae':
      return new FactorVae(config, exampleShape);
    case 'wae':
      return new Wae(config, exampleShape);
    case 'rae':
      return new Rae(config, exampleShape);
    case 'vamp-vae':
      return new VampVae(config, exampleShape);
    case 'flow-vae':
      return new FlowVae(config, exampleShape);
    case 'hvae':
      return new Hvae(config, exampleShape);
    case 'vq-vae':
      return new VqVae(config, exampleShape);
    case 'gumbel-vae':
      return new GumbelVae(config, exampleShape);
  }
}
