// What a sweep shows while it runs: on a terminal one progress bar per slot, redrawn in place; in a log one line per
// run that starts or ends; with --json one JSON line per sweep event (what the extension reads).
import type { EngineEvent } from '../../core/protocol';
import { SweepChild, settingLabel } from '../../core/sweep';

export interface SweepProgress {
  started(slot: number, c: SweepChild): void;
  event(slot: number, c: SweepChild, e: EngineEvent): void;
  ended(slot: number, c: SweepChild, code: number | null, stderr: string): void;
  /** A line of news (Slurm submission, a state change, a note). */
  note(text: string): void;
  close(): void;
}

export type SweepEvent =
  | { type: 'sweep-run-started'; index: number; slot: number }
  | { type: 'sweep-run-progress'; index: number; step: number; totalSteps: number; loss?: number; epoch?: number }
  | { type: 'sweep-run-ended'; index: number; status: string; error?: string; metrics?: SweepChild['final'] }
  | { type: 'sweep-note'; message: string };

export function runName(c: SweepChild): string {
  return `#${String(c.index).padStart(3, '0')} ${settingLabel(c.params)} seed=${c.seed}`;
}

export function endedLine(c: SweepChild, stderr: string): string {
  const f = c.final;
  const metrics = f ? `  val loss ${f.loss.toFixed(2)}${f.elbo !== undefined ? `  ELBO ${f.elbo.toFixed(2)}` : ''}${c.rate !== undefined ? `  rate ${c.rate.toFixed(2)}  distortion ${(c.distortion ?? NaN).toFixed(2)}` : ''}` : '';
  const why = c.status === 'completed' ? '' : `: ${c.error ?? c.statusReason ?? (stderr || 'no reason recorded')}`;
  return `${runName(c)} ${c.status}${metrics}${why}`;
}

export class JsonSweepProgress implements SweepProgress {
  private readonly totals = new Map<number, number>();
  private write(e: SweepEvent): void {
    process.stdout.write(JSON.stringify(e) + '\n');
  }
  started(slot: number, c: SweepChild): void {
    this.write({ type: 'sweep-run-started', index: c.index, slot });
  }
  event(_slot: number, c: SweepChild, e: EngineEvent): void {
    if (e.type === 'started') this.totals.set(c.index, e.totalSteps);
    if (e.type === 'step') this.write({ type: 'sweep-run-progress', index: c.index, step: e.step, totalSteps: this.totals.get(c.index) ?? 0, loss: e.metrics.loss, epoch: e.epoch });
  }
  ended(_slot: number, c: SweepChild, _code: number | null, stderr: string): void {
    this.write({ type: 'sweep-run-ended', index: c.index, status: c.status, error: c.status === 'completed' ? undefined : c.error ?? (stderr || undefined), metrics: c.final });
  }
  note(message: string): void {
    this.write({ type: 'sweep-note', message });
  }
  close(): void {}
}

interface SlotState {
  name: string;
  step: number;
  totalSteps: number;
  loss?: number;
}

export class TerminalSweepProgress implements SweepProgress {
  private readonly slots: (SlotState | undefined)[] = [];
  private drawn = 0;
  private timer: NodeJS.Timeout | undefined;
  private done = 0;

  constructor(private readonly total: number, private readonly out: NodeJS.WriteStream = process.stderr) {
    if (this.out.isTTY) this.timer = setInterval(() => this.draw(), 250);
  }

  private clear(): void {
    if (!this.out.isTTY || this.drawn === 0) return;
    this.out.write(`\x1b[${this.drawn}A\x1b[J`);
    this.drawn = 0;
  }

  private draw(): void {
    if (!this.out.isTTY) return;
    this.clear();
    const lines: string[] = [];
    this.slots.forEach((s, i) => {
      if (!s) return;
      const frac = s.totalSteps > 0 ? Math.min(1, s.step / s.totalSteps) : 0;
      const width = 20;
      const filled = Math.round(frac * width);
      lines.push(`slot ${i + 1} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(frac * 100).toFixed(0).padStart(3)}%  loss ${s.loss?.toFixed(2) ?? '-'}  ${s.name}`.slice(0, (this.out.columns || 120) - 1));
    });
    lines.push(`${this.done}/${this.total} runs ended`);
    this.out.write(lines.join('\n') + '\n');
    this.drawn = lines.length;
  }

  private line(text: string): void {
    this.clear();
    this.out.write(text + '\n');
    this.draw();
  }

  started(slot: number, c: SweepChild): void {
    this.slots[slot] = { name: runName(c), step: 0, totalSteps: 0 };
    if (!this.out.isTTY) this.out.write(`started ${runName(c)}\n`);
  }

  event(slot: number, _c: SweepChild, e: EngineEvent): void {
    const s = this.slots[slot];
    if (!s) return;
    if (e.type === 'started') {
      s.totalSteps = e.totalSteps;
      s.step = e.step;
    } else if (e.type === 'step') {
      s.step = e.step;
      s.loss = e.metrics.loss;
    }
  }

  ended(slot: number, c: SweepChild, _code: number | null, stderr: string): void {
    this.slots[slot] = undefined;
    this.done++;
    this.line(endedLine(c, stderr));
  }

  note(text: string): void {
    this.line(text);
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.clear();
  }
}
