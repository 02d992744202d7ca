// Leading- and trailing-edge throttle: at most one call per interval, and the last call is never lost.
export function throttle(fn: () => void, intervalMs: () => number): { (): void; flush(): void; dispose(): void } {
  let last = 0;
  let timer: NodeJS.Timeout | undefined;
  const run = () => {
    timer = undefined;
    last = Date.now();
    fn();
  };
  const call = () => {
    const wait = intervalMs() - (Date.now() - last);
    if (wait <= 0 && !timer) run();
    else if (!timer) timer = setTimeout(run, Math.max(0, wait));
  };
  call.flush = () => {
    if (timer) clearTimeout(timer);
    run();
  };
  call.dispose = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
  };
  return call;
}
