// Checks a webview page's HTML against VAE Lab's rules: a Content-Security-Policy with default-src 'none', scripts
// only by nonce (no 'unsafe-inline', no 'unsafe-eval', no hosts), no remote origins, every <script> carrying the
// nonce, no inline event handlers. Returns the violations found (empty when the page is clean).

/** Parse "a b c; d e" into { a: ['b', 'c'], d: ['e'] }. */
export function parseCsp(policy: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const part of policy.split(';')) {
    const [name, ...values] = part.trim().split(/\s+/);
    if (name) out[name.toLowerCase()] = values;
  }
  return out;
}

const unescape = (s: string) => s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');

/**
 * `cspSource` is the webview's own resource origin (webview.cspSource), the only origin besides data: that may
 * appear. Anything else with a scheme (http:, https:, ws:, ...) is a remote origin.
 */
export function cspViolations(html: string, cspSource: string): string[] {
  const problems: string[] = [];
  // VS Code's cspSource may be several sources ("'self' https://*.vscode-cdn.net").
  const allowedSources = new Set(cspSource.split(/\s+/).filter(Boolean));
  const metas = [...html.matchAll(/<meta\s+http-equiv=["']Content-Security-Policy["']\s+content=(["'])(.*?)\1/gi)];
  if (metas.length !== 1) return [`expected one Content-Security-Policy meta tag, found ${metas.length}`];
  const policy = parseCsp(unescape(metas[0][2]));
  if ((policy['default-src'] ?? []).join(' ') !== "'none'") problems.push(`default-src is "${(policy['default-src'] ?? []).join(' ')}", not 'none'`);
  const scriptSrc = policy['script-src'];
  if (!scriptSrc) problems.push('no script-src (scripts would fall back to default-src)');
  const nonces = (scriptSrc ?? []).filter((v) => /^'nonce-[A-Za-z0-9+/=]{16,}'$/.test(v)).map((v) => v.slice(7, -1));
  for (const v of scriptSrc ?? []) if (!/^'nonce-/.test(v)) problems.push(`script-src allows ${v}`);
  if (nonces.length !== 1) problems.push(`script-src has ${nonces.length} nonces, expected 1`);
  for (const [directive, values] of Object.entries(policy)) {
    for (const v of values) {
      if (/'unsafe-(eval|inline|hashes)'|'wasm-unsafe-eval'/.test(v)) problems.push(`${directive} allows ${v}`);
      if (v === '*' || v === 'http:' || v === 'https:' || (/^[a-z][a-z0-9+.-]*:\/\//i.test(v) && !allowedSources.has(v))) problems.push(`${directive} allows the origin ${v}`);
    }
  }
  for (const tag of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
    const nonce = /\snonce=["']([^"']+)["']/.exec(tag[1])?.[1];
    if (!nonce || !nonces.includes(nonce)) problems.push(`a <script> without the policy's nonce: ${tag[0].slice(0, 80)}`);
    const src = /\ssrc=["']([^"']+)["']/.exec(tag[1])?.[1];
    if (src && !isWebviewResource(src, cspSource)) problems.push(`a script from ${src}`);
  }
  if (/\son[a-z]+\s*=/i.test(html.replace(/<script\b[\s\S]*?<\/script>/gi, ''))) problems.push('an inline event handler (on...=)');
  for (const m of html.matchAll(/\s(?:src|href)=["']([^"']+)["']/gi)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(m[1]) && !m[1].startsWith('data:') && !isWebviewResource(m[1], cspSource)) problems.push(`a resource from ${m[1]}`);
  }
  return problems;
}

/** Whether `url` is served by the webview's resource origin (its sources may be wildcard hosts like https://*.x.net). */
function isWebviewResource(url: string, cspSource: string): boolean {
  return cspSource.split(/\s+/).some((source) => {
    if (source.startsWith("'")) return false;
    if (url.startsWith(source)) return true;
    const wildcard = /^([a-z-]+):\/\/\*\.(.+)$/.exec(source);
    if (!wildcard) return false;
    try {
      const u = new URL(url);
      return u.protocol === `${wildcard[1]}:` && (u.hostname === wildcard[2] || u.hostname.endsWith(`.${wildcard[2]}`));
    } catch {
      return false;
    }
  });
}
