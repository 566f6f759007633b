import { useEffect, useRef, useState } from 'preact/hooks';

/** Seconds between two reads of a view's data: status changes appear without a reload. */
export const POLL_MS = 5000;

/**
 * Loads `load` now and every POLL_MS while the view is shown (and the tab visible) and `enabled`; `reload` forces
 * a read.
 * Errors are kept next to the last data rather than replacing it.
 */
export function usePolled<T>(load: (signal: AbortSignal) => Promise<T>, deps: unknown[], enabled = true): { data: T | null; error: string; reload: () => void } {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState('');
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  useEffect(() => {
    if (!enabled) return undefined;
    let alive = true;
    let timer = 0;
    // Leaving the view (or disabling it) cancels the read in flight: its answer would be stale anyway.
    const abort = new AbortController();
    const run = async () => {
      try {
        const value = await loadRef.current(abort.signal);
        if (alive) { setData(value); setError(''); }
      } catch (e) {
        if (alive && !abort.signal.aborted) setError((e as Error).message);
      }
      if (alive) timer = window.setTimeout(() => { if (document.visibilityState === 'visible') void run(); else timer = window.setTimeout(run, POLL_MS); }, POLL_MS);
    };
    void run();
    return () => { alive = false; clearTimeout(timer); abort.abort(); };
  }, [...deps, tick, enabled]);
  return { data, error, reload: () => setTick((t) => t + 1) };
}
