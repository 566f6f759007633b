/** One lease: its reservations and events, and the changes the token may make (rename, extend, shorten, delete). */
import { useState } from 'preact/hooks';
import { call, type Lease, type Session } from '../api';
import { ConfirmDialog } from '../confirm';
import { parseApiDate, requestDate, show } from '../dates';
import { usePolled } from '../poll';
import { degradedFlags, StatusBadge } from './leases';

const HOUR = 3_600_000;
const DURATIONS: Record<string, number> = { '1 hour': HOUR, '6 hours': 6 * HOUR, '1 day': 24 * HOUR, '1 week': 168 * HOUR };

interface Pending { message: string; label: string; run: () => Promise<void> }

export function LeaseDetailView({ id, session }: { id: string; session: Session }) {
  // Polling stops before a delete is sent, so no read races it into a 404.
  const [deleting, setDeleting] = useState(false);
  const { data: lease, error, reload } = usePolled((signal) => call<{ lease: Lease }>('GET', `../v1/leases/${encodeURIComponent(id)}`, undefined, signal)
    .then((r) => r.lease), [id], !deleting);
  const [pending, setPending] = useState<Pending | null>(null);
  const [actionError, setActionError] = useState('');
  const [done, setDone] = useState('');
  const [name, setName] = useState<string | null>(null);
  const [by, setBy] = useState('1 day');

  if (!lease) return error ? <p role="alert" class="error">{error}</p> : <p role="status">Loading the lease…</p>;

  const update = (body: Record<string, unknown>, what: string) => async () => {
    setActionError('');
    try {
      await call('PUT', `../v1/leases/${encodeURIComponent(id)}`, body);
      setDone(what);
      reload();
    } catch (e) {
      setActionError((e as Error).message);
    }
  };
  const end = parseApiDate(lease.end_date);
  const delta = DURATIONS[by];
  const ask = (p: Pending) => { setDone(''); setActionError(''); setPending(p); };

  return (
    <section aria-labelledby="lease-title">
      <p><a href="#/leases">← All leases</a></p>
      <div class="title-row">
        <h1 id="lease-title">Lease {lease.name}</h1>
        <StatusBadge status={lease.status} />
        {degradedFlags(lease).map((f) => <span key={f} class="badge warn">{f}</span>)}
      </div>
      <dl class="facts">
        <dt>Id</dt><dd class="mono">{lease.id}</dd>
        <dt>Start</dt><dd data-testid="lease-start">{show(parseApiDate(lease.start_date))}</dd>
        <dt>End</dt><dd data-testid="lease-end">{show(end)}</dd>
        {lease.status_reason && <><dt>Status reason</dt><dd>{lease.status_reason}</dd></>}
      </dl>
      {actionError && <p role="alert" class="error">{actionError}</p>}
      {done && <p role="status" class="notice">{done}</p>}
      {(session.may.update || session.may.delete) && (
        <div class="lease-actions">
          {session.may.update && (
            <>
              <form class="inline" onSubmit={(e) => {
                e.preventDefault();
                const value = (name ?? lease.name).trim();
                ask({ message: `Rename lease ${lease.name} to ${value}?`, label: 'Rename', run: update({ name: value }, `Renamed to ${value}.`) });
              }}>
                <label>New name <input value={name ?? lease.name} onInput={(e) => setName(e.currentTarget.value)} required /></label>
                <button type="submit">Rename</button>
              </form>
              <div class="inline">
                <label>By
                  <select value={by} onChange={(e) => setBy(e.currentTarget.value)}>
                    {Object.keys(DURATIONS).map((d) => <option key={d}>{d}</option>)}
                  </select>
                </label>
                <button type="button" onClick={() => ask({
                  message: `Extend lease ${lease.name} by ${by}, to ${show(end + delta)}?`, label: 'Extend',
                  run: update({ end_date: requestDate(end + delta) }, `Extended to ${show(end + delta)}.`),
                })}>Extend</button>
                <button type="button" onClick={() => ask({
                  message: `Shorten lease ${lease.name} by ${by}, to ${show(end - delta)}?`, label: 'Shorten',
                  run: update({ end_date: requestDate(end - delta) }, `Shortened to ${show(end - delta)}.`),
                })}>Shorten</button>
              </div>
            </>
          )}
          {session.may.delete && (
            <button type="button" class="danger" onClick={() => ask({
              message: `Delete lease ${lease.name}? What it reserved is released.`, label: 'Delete',
              run: async () => {
                setActionError('');
                setDeleting(true);
                // Let the poll's cleanup cancel a read in flight first.
                await new Promise((resolve) => setTimeout(resolve, 0));
                try {
                  await call('DELETE', `../v1/leases/${encodeURIComponent(id)}`);
                  location.hash = '#/leases';
                } catch (e) {
                  setActionError((e as Error).message);
                  setDeleting(false);
                }
              },
            })}>Delete</button>
          )}
        </div>
      )}
      <h2>Reservations</h2>
      <div class="table-wrap">
        <table>
          <thead><tr><th scope="col">Type</th><th scope="col">Status</th><th scope="col">Amount</th><th scope="col">Filters</th><th scope="col">Flags</th></tr></thead>
          <tbody>
            {lease.reservations.map((r) => (
              <tr key={r.id}>
                <td>{r.resource_type}</td>
                <td>{r.status}</td>
                <td>{r.resource_type === 'physical:host' ? `${r.min}–${r.max} hosts` : r.amount ?? ''}</td>
                <td class="mono">{[r.hypervisor_properties, r.resource_properties].filter(Boolean).join(' ')}</td>
                <td>{r.missing_resources && <span class="badge warn">missing resources</span>}{r.resources_changed && <span class="badge warn">resources changed</span>}</td>
              </tr>
            ))}
            {!lease.reservations.length && <tr><td colSpan={5}>None.</td></tr>}
          </tbody>
        </table>
      </div>
      <h2>Events</h2>
      <div class="table-wrap">
        <table class="events">
          <thead><tr><th scope="col">Event</th><th scope="col">Time</th><th scope="col">Status</th></tr></thead>
          <tbody>
            {[...lease.events].sort((a, b) => parseApiDate(a.time) - parseApiDate(b.time)).map((e) => (
              <tr key={e.id}><td>{e.event_type}</td><td>{show(parseApiDate(e.time))}</td><td>{e.status}</td></tr>
            ))}
          </tbody>
        </table>
      </div>
      {pending && (
        <ConfirmDialog message={pending.message} confirmLabel={pending.label}
          onCancel={() => setPending(null)} onConfirm={() => { const p = pending; setPending(null); void p.run(); }} />
      )}
    </section>
  );
}
