// The page every VAE Lab webview loads: strict Content-Security-Policy with a per-load nonce, the shared theme-aware
// stylesheet, one bundled script. Local files only through asWebviewUri.
import * as crypto from 'crypto';
import * as vscode from 'vscode';

export function nonce(): string {
  return crypto.randomBytes(18).toString('base64');
}

/** The strict Content-Security-Policy every VAE Lab webview uses. */
export function csp(webview: vscode.Webview, n: string, extra = ''): string {
  return `default-src 'none'; img-src ${webview.cspSource} data:; style-src ${webview.cspSource}; font-src ${webview.cspSource}; script-src 'nonce-${n}'${extra}`;
}

export interface WebviewPage {
  title: string;
  /** The page's body (static markup; data arrives by message). */
  body: string;
  /** Bundle in dist/webview/, e.g. 'dashboardMain.js'. */
  script: string;
  /** Further local stylesheets (path segments under the extension, e.g. ['dist', 'webview', 'katex', 'katex.min.css']). */
  stylesheets?: string[][];
  /** Extra CSP directives, e.g. "; connect-src ..." for panels that fetch run files. */
  extraCsp?: string;
}

export function webviewHtml(webview: vscode.Webview, extensionUri: vscode.Uri, page: WebviewPage): string {
  const n = nonce();
  const uri = (...p: string[]) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, ...p)).toString();
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp(webview, n, page.extraCsp ?? '')}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${uri('media', 'webview.css')}">
${(page.stylesheets ?? []).map((p) => `<link rel="stylesheet" href="${uri(...p)}">\n`).join('')}<title>${page.title}</title>
</head>
<body>
${page.body}
<script nonce="${n}" src="${uri('dist', 'webview', page.script)}"></script>
</body>
</html>`;
}
