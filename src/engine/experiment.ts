// Reading an experiment file into its effective config (the same path for the CLI and the extension's engine).
import * as fs from 'fs';
import { applyOverride, ConfigError, ExperimentConfig, parseExperimentText, resolveExperiment } from '../core/config';

export interface ExperimentOverrides {
  /** `path=value` assignments, applied before validation so that errors name the field. */
  set?: string[];
  epochs?: number;
  backend?: string;
}

export function loadExperimentFile(file: string, o: ExperimentOverrides = {}): ExperimentConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError([{ pointer: '', message: code === 'ENOENT' ? 'file not found.' : `cannot be read (${code ?? (err as Error).message}).` }], file);
  }
  const doc = parseExperimentText(text, file);
  if (typeof doc === 'object' && doc !== null && !Array.isArray(doc)) {
    const d = doc as Record<string, unknown>;
    try {
      for (const s of o.set ?? []) applyOverride(d, s);
      if (o.epochs !== undefined) applyOverride(d, `training.epochs=${o.epochs}`);
      if (o.backend !== undefined) applyOverride(d, `backend=${JSON.stringify(o.backend)}`);
    } catch (err) {
      if (err instanceof ConfigError) throw new ConfigError(err.issues, file);
      throw err;
    }
  }
  return resolveExperiment(doc, file);
}
