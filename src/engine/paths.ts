// Locating files that ship with VAE Lab, whether running from the esbuild bundle (dist/), the compiled tests (out/)
// or an installed .vsix.
import * as fs from 'fs';
import * as path from 'path';

let root: string | undefined;

/** The folder holding VAE Lab's package.json. */
export function packageRoot(): string {
  if (root) return root;
  let dir = __dirname;
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg)) {
      try {
        if ((JSON.parse(fs.readFileSync(pkg, 'utf8')) as { name?: string }).name === 'vae-lab') return (root = dir);
      } catch {
        /* keep looking */
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) return (root = path.dirname(__dirname));
    dir = parent;
  }
}
