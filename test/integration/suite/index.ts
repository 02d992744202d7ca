// Entry point VS Code calls (extensionTestsPath) for the development-folder suite.
import { runMochaIn } from '../mochaIndex';

export function run(): Promise<void> {
  return runMochaIn(__dirname, 180000);
}
