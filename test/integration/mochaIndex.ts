// Shared mocha runner for the suites that run inside VS Code's extension host.
import * as fs from 'fs';
import * as path from 'path';
import Mocha from 'mocha';

export function runMochaIn(dir: string, timeoutMs: number): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', timeout: timeoutMs, color: false, reporter: 'spec' });
  for (const f of fs.readdirSync(dir).filter((f) => f.endsWith('.test.js')).sort()) mocha.addFile(path.join(dir, f));
  return new Promise((resolve, reject) => {
    mocha.run((failures) => (failures > 0 ? reject(new Error(`${failures} integration test(s) failed`)) : resolve()));
  });
}
