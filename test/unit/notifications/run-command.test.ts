import { readFileSync } from 'node:fs';
import { runCommand } from '../../../src/provisioner';

/** Running (a zombie waiting for a reaper that is not ours does not count). */
const alive = (pid: number) => {
  try { return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8')); } catch { return false; }
};

describe('runCommand (no shell, own process group, timeout)', () => {
  it('passes the arguments as they are and reports success', async () => {
    const r = await runCommand([process.execPath, '-e', 'console.log(JSON.stringify(process.argv.slice(1)))', 'a b', '$(id)', '*'], { timeoutMs: 10_000 });
    expect(r.ok).toBe(true);
    expect(JSON.parse(r.output)).toEqual(['a b', '$(id)', '*']);
  });

  it('reports the exit code and the end of the output', async () => {
    const r = await runCommand([process.execPath, '-e', 'console.error("bmc unreachable"); process.exit(3)'], { timeoutMs: 10_000 });
    expect(r).toMatchObject({ ok: false, failure: 'exit code 3', output: 'bmc unreachable' });
  });

  it('reports a missing program', async () => {
    const r = await runCommand(['/nonexistent/ipmitool', 'power', 'on'], { timeoutMs: 10_000 });
    expect(r).toMatchObject({ ok: false, failure: 'program not found: /nonexistent/ipmitool' });
  });

  it('kills the command and what it started when the timeout passes', async () => {
    // The command starts a grandchild and prints its pid; both must be gone after the timeout.
    const script = `const c = require('child_process').spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
      console.log(c.pid); setTimeout(() => {}, 60000);`;
    const started = Date.now();
    const r = await runCommand([process.execPath, '-e', script], { timeoutMs: 1000, killGraceMs: 500 });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(r).toMatchObject({ ok: false, failure: 'killed after 1 s (timeout)' });
    const grandchild = Number(r.output.trim());
    expect(grandchild).toBeGreaterThan(0);
    for (let i = 0; i < 50 && alive(grandchild); i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(alive(grandchild)).toBe(false);
  });

  it('kills the command when asked to stop', async () => {
    const controller = new AbortController();
    const pending = runCommand([process.execPath, '-e', 'setTimeout(() => {}, 60000)'], { timeoutMs: 60_000, signal: controller.signal });
    setTimeout(() => controller.abort(), 200);
    expect(await pending).toMatchObject({ ok: false, failure: 'killed: the provisioner is stopping' });
  });
});
