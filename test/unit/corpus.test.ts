// The bad-input corpus (test/corpus/badInput.ts) through the CLI as users run it: every malformed experiment and
// every corrupt data file gives exit code 2 and exactly one line naming the field or the file, no stack trace, and
// no run folder.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { BAD_CONFIGS, BAD_DATA, BAD_TEXTS, CorpusCase, writeCorpus } from '../corpus/badInput';
import { escapeRegExp, REPO, tmpDir } from './helpers';

const CLI = path.join(REPO, 'dist', 'cli.js');

function run(args: string[]): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stderr, stdout }));
  });
}

test('the corpus has at least 40 malformed experiments and 10 corrupt data files', () => {
  assert.ok(BAD_CONFIGS.length + BAD_TEXTS.length >= 40, `${BAD_CONFIGS.length + BAD_TEXTS.length} malformed experiments`);
  assert.ok(BAD_DATA.length >= 10, `${BAD_DATA.length} corrupt data files`);
});

test('every corpus case through `vae-lab train`: exit 2, one line naming the field or file, no run folder', async () => {
  const root = tmpDir('corpus-cli');
  const cases = writeCorpus(root);
  const runs = path.join(root, 'runs');
  const failures: string[] = [];
  const check = async (c: CorpusCase) => {
    const r = await run(['train', c.file, '--out', runs]);
    const lines = r.stderr.trim().split('\n');
    const where = c.pointer ? `${escapeRegExp(c.names)}: ${escapeRegExp(c.pointer)}: ` : `${escapeRegExp(c.names)}: `;
    const problems = [
      r.code !== 2 && `exit code ${r.code}`,
      lines.length !== 1 && `${lines.length} lines on stderr`,
      !new RegExp(`^(vae-lab: )?${where}`).test(lines[0]) && `does not start with the ${c.pointer ? 'file and field' : 'file'}`,
      !c.expect.test(lines[0]) && `does not say ${c.expect}`,
      /^\s+at /m.test(r.stderr) && 'stack trace',
    ].filter(Boolean);
    if (problems.length) failures.push(`${c.name} (${c.stage}): ${problems.join(', ')}: ${r.stderr.trim()}`);
  };
  // Four at a time: each case is a separate CLI process.
  for (let i = 0; i < cases.length; i += 4) await Promise.all(cases.slice(i, i + 4).map(check));
  assert.deepEqual(failures, []);
  assert.ok(!fs.existsSync(runs) || fs.readdirSync(runs).length === 0, 'no run folder was created');
});
