// Shared mocha runner for the suites that run inside VS Code's extension host.
import * as fs from 'fs';
import * as path from 'path';
import Mocha from 'mocha';

export function runMochaIn(dir: string, timeoutMs: number): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', timeout: timeoutMs, color: false, reporter: 'spec' });
  // VAE_LAB_TEST_FILES=sweep,hardening runs only the test files whose names contain one of these (for one suite at a time).
  const only = (process.env.VAE_LAB_TEST_FILES ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const f of fs.readdirSync(dir).filter((f) => f.endsWith('.test.js') && (only.length === 0 || only.some((o) => f.includes(o)))).sort()) mocha.addFile(path.join(dir, f));
  return new Promise((resolve, reject) => {
    const runner = mocha.run((failures) => {
      // The launcher (test/integration/run.mjs) adds these counts up for its closing line.
      const out = process.env.VAE_LAB_TEST_RESULTS;
      if (out) fs.appendFileSync(out, JSON.stringify({ suite: path.basename(dir), passed: runner.stats?.passes ?? 0, failed: failures }) + '\n');
      if (failures > 0) reject(new Error(`${failures} integration test(s) failed`));
      else resolve();
    });
  });
}
