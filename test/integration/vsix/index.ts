// Entry point for the suite that runs against the extension installed from the .vsix.
import { runMochaIn } from '../mochaIndex';

export function run(): Promise<void> {
  return runMochaIn(__dirname, 600000);
}
