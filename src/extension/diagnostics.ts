// Problems in *.vae.json files, from the same shared schema and rules the engine and the CLI use, with the same
// messages, underlined at the field they are about.
import * as vscode from 'vscode';
import { LocatedIssue, locateExperimentIssues } from '../core/jsonLocate';

export function isExperimentDocument(doc: vscode.TextDocument): boolean {
  return doc.uri.path.endsWith('.vae.json');
}

export class ExperimentDiagnostics implements vscode.Disposable {
  readonly collection = vscode.languages.createDiagnosticCollection('vae-lab');
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor() {
    this.subscriptions.push(
      vscode.workspace.onDidOpenTextDocument((d) => this.update(d)),
      vscode.workspace.onDidChangeTextDocument((e) => this.update(e.document)),
      vscode.workspace.onDidCloseTextDocument((d) => {
        // Keep problems of files on disk visible; only forget deleted ones.
        if (d.isUntitled) this.collection.delete(d.uri);
      }),
    );
    for (const d of vscode.workspace.textDocuments) this.update(d);
  }

  /** Validate a document, publish its problems, and return them. */
  update(doc: vscode.TextDocument): LocatedIssue[] {
    if (!isExperimentDocument(doc)) return [];
    const issues = locateExperimentIssues(doc.getText());
    this.collection.set(
      doc.uri,
      issues.map((i) => {
        const range = new vscode.Range(doc.positionAt(i.offset), doc.positionAt(i.offset + i.length));
        const d = new vscode.Diagnostic(range, `${i.pointer || '(document)'}: ${i.message}`, vscode.DiagnosticSeverity.Error);
        d.source = 'VAE Lab';
        return d;
      }),
    );
    return issues;
  }

  dispose(): void {
    this.collection.dispose();
    for (const s of this.subscriptions) s.dispose();
  }
}
