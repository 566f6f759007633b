import { createLogger } from '../../../src/common';
import { PeriodicJob } from '../../../src/manager';

describe('PeriodicJob', () => {
  it('a job failing at every run (the database down) logs one ERROR, then one line when it runs again', async () => {
    const lines: string[] = [];
    let runs = 0;
    const job = new PeriodicJob('notification-dispatch', 1, async () => {
      runs++;
      if (runs <= 20) throw new Error("Table 'climate.notifications' doesn't exist");
    }, createLogger({ write: (line) => lines.push(line) }));
    job.start();
    const deadline = Date.now() + 30_000;
    while (runs < 22 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    await job.stop();
    expect(runs).toBeGreaterThanOrEqual(22);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/ERROR climate \[-\] periodic job notification-dispatch failed \{"error":"Error: Table 'climate.notifications' doesn't exist"\}$/);
    expect(lines[1]).toMatch(/INFO climate \[-\] periodic job notification-dispatch runs again \{"failures_not_logged":19\}$/);
  });
});
