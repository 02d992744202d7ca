// Schedules of the KL weight and the learning rate, as pure functions of the position in training.
import type { KlScheduleConfig, LrScheduleConfig } from '../core/config';

/** Weight in [0, 1] multiplying beta at a step. */
export function klScheduleWeight(s: KlScheduleConfig, step: number, totalSteps: number): number {
  switch (s.type) {
    case 'constant':
      return 1;
    case 'linear':
      return Math.min(1, step / s.warmupSteps);
    case 'cyclical': {
      const period = Math.max(1, totalSteps / s.cycles);
      const pos = (step % period) / period;
      return Math.min(1, pos / s.rampFraction);
    }
  }
}

/** Learning rate at a step (epochs counted from 0). */
export function learningRateAt(base: number, s: LrScheduleConfig, epoch: number, step: number, totalSteps: number): number {
  let lr = base;
  switch (s.type) {
    case 'constant':
      break;
    case 'step':
      lr = base * Math.pow(s.gamma, Math.floor(epoch / s.stepEpochs));
      break;
    case 'exponential':
      lr = base * Math.pow(s.gamma, epoch);
      break;
    case 'cosine': {
      const progress = Math.min(1, step / Math.max(1, totalSteps));
      lr = s.minLearningRate + 0.5 * (base - s.minLearningRate) * (1 + Math.cos(Math.PI * progress));
      break;
    }
  }
  if (s.warmupSteps > 0 && step < s.warmupSteps) lr *= (step + 1) / s.warmupSteps;
  return lr;
}
