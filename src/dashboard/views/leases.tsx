/** Leases: the project's (or, for admins, every project's) leases, filtered and paged, refreshed by polling. */
import { useState } from 'preact/hooks';
import { call, query, type Lease, type Session } from '../api';
import { parseApiDate, show } from '../dates';
import { usePolled } from '../poll';

const PAGE = 20;
const STATUSES = ['PENDING', 'STARTING', 'ACTIVE', 'UPDATING', 'TERMINATING', 'TERMINATED', 'ERROR', 'DELETING'];

/** "2 × physical:host, virtual:instance" */
export function reservationSummary(lease: Lease): string {
  return lease.reservations.map((r) => (r.resource_type === 'physical:host' && r.max ? `${r.max} × physical:host`
    : r.amount ? `${r.amount} × ${r.resource_type}` : r.resource_type)).join(', ') || 'none';
}

/** Why a lease is degraded, for the flag column. */
export function degradedFlags(lease: Lease): string[] {
  const flags: string[] = [];
  if (lease.degraded) flags.push('degraded');
  if (lease.reservations.some((r) => r.missing_resources)) flags.push('missing resources');
  if (lease.reservations.some((r) => r.resources_changed)) flags.push('resources changed');
  return flags;
}

export function StatusBadge({ status }: { status: string }) {
  return <span class={`badge status-${status.toLowerCase()}`}>{status}</span>;
}

export function LeasesView({ session }: { session: Session }) {
  const [name, setName] = useState('');
  const [status, setStatus] = useState('');
  // Pages come from the API (limit and marker), so ten thousand leases cost one page: markers[i] opens page i.
  const [markers, setMarkers] = useState<(string | undefined)[]>([undefined]);
  const page = markers.length - 1;
  const { data, error } = usePolled((signal) => call<{ leases: Lease[] }>('GET', `../v1/leases${query({
    limit: PAGE + 1, marker: markers[page], status, name: name.trim(),
  })}`, undefined, signal).then((r) => r.leases), [markers, status, name]);
  const restart = () => setMarkers([undefined]);
  const shown = (data ?? []).slice(0, PAGE);
  const hasNext = (data ?? []).length > PAGE;

  return (
    <section aria-labelledby="leases-title">
      <div class="title-row">
        <h1 id="leases-title">Leases</h1>
        {session.may.create && <a class="button" href="#/create">Create a lease</a>}
      </div>
      <form class="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <label>Name (exact) <input type="search" value={name} onChange={(e) => { setName(e.currentTarget.value); restart(); }} /></label>
        <label>Status
          <select value={status} onChange={(e) => { setStatus(e.currentTarget.value); restart(); }}>
            <option value="">any</option>
            {STATUSES.map((s) => <option key={s} value={s}>{s}</option>)}
          </select>
        </label>
      </form>
      {error && <p role="alert" class="error">{error}</p>}
      {data === null && !error ? <p role="status">Loading leases…</p> : (
        <div class="table-wrap">
          <table class="leases">
            <caption class="visually-hidden">Leases, page {page + 1}</caption>
            <thead><tr><th scope="col">Name</th><th scope="col">Status</th><th scope="col">Start</th><th scope="col">End</th><th scope="col">Reservations</th><th scope="col">Flags</th>{session.is_admin && <th scope="col">Project</th>}</tr></thead>
            <tbody>
              {shown.map((l) => (
                <tr key={l.id} data-lease-id={l.id}>
                  <td><a href={`#/lease/${l.id}`}>{l.name}</a></td>
                  <td><StatusBadge status={l.status} /></td>
                  <td>{show(parseApiDate(l.start_date))}</td>
                  <td>{show(parseApiDate(l.end_date))}</td>
                  <td>{reservationSummary(l)}</td>
                  <td>{degradedFlags(l).map((f) => <span key={f} class="badge warn">{f}</span>)}</td>
                  {session.is_admin && <td class="mono">{l.project_id.slice(0, 8)}</td>}
                </tr>
              ))}
              {!shown.length && <tr><td colSpan={7}>No leases.</td></tr>}
            </tbody>
          </table>
        </div>
      )}
      {(page > 0 || hasNext) && (
        <nav class="pager" aria-label="Pages">
          <button type="button" disabled={page === 0} onClick={() => setMarkers(markers.slice(0, -1))}>Previous</button>
          <span>Page {page + 1}</span>
          <button type="button" disabled={!hasNext} onClick={() => setMarkers([...markers, shown[shown.length - 1].id])}>Next</button>
        </nav>
      )}
    </section>
  );
}
