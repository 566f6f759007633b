/**
 * Capacity: free, allocated and instance-holding hosts over time (GET /v1/os-hosts/capacity) as a stacked bar
 * chart, and host-hours by project (GET /v1/usage; admins see every project, others their own).
 */
import { useState } from 'preact/hooks';
import { call, query, type Session } from '../api';
import { parseApiDate, requestDate, show } from '../dates';
import { usePolled } from '../poll';

interface Step { start_date: string; total: number; reservable: number; allocated: number; with_instances: number; free: number }
interface Usage { project_id: string; resource_type: string; host_hours: number; instance_slot_hours: number; leases: number }

const HOUR = 3_600_000;
const RANGES = [
  { label: 'Next day', span: 24 * HOUR, step: '1h' },
  { label: 'Next week', span: 7 * 24 * HOUR, step: '6h' },
  { label: 'Next month', span: 30 * 24 * HOUR, step: '1d' },
];
const SERIES = [
  { key: 'allocated', label: 'Allocated to host leases', cls: 'allocated' },
  { key: 'with_instances', label: 'Holding instances', cls: 'instances' },
  { key: 'free', label: 'Free', cls: 'free' },
] as const;

function CapacityChart({ steps }: { steps: Step[] }) {
  const max = Math.max(1, ...steps.map((s) => s.total));
  const [w, h, left, bottom, top] = [800, 240, 40, 24, 12];
  const bw = (w - left) / steps.length;
  const y = (n: number) => ((h - bottom - top) * n) / max;
  const label = (i: number) => requestDate(parseApiDate(steps[i].start_date)).slice(5, 16);
  const every = Math.max(1, Math.ceil(steps.length / 8));
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${w} ${h}`} role="img" aria-labelledby="capacity-caption">
        {[0, 0.5, 1].map((f) => (
          <g key={f}>
            <line x1={left} x2={w} y1={h - bottom - y(max * f)} y2={h - bottom - y(max * f)} class="axis" />
            <text x={left - 4} y={h - bottom - y(max * f) + 4} text-anchor="end">{Math.round(max * f)}</text>
          </g>
        ))}
        {steps.map((s, i) => {
          let base = 0;
          return (
            <g key={i}>
              <title>{`${label(i)}: ${s.free} free, ${s.allocated} allocated, ${s.with_instances} with instances of ${s.total}`}</title>
              {SERIES.map((series) => {
                const value = s[series.key];
                const rect = <rect key={series.key} class={series.cls} x={left + i * bw} width={Math.max(bw - 1, 1)} y={h - bottom - y(base + value)} height={y(value)} />;
                base += value;
                return rect;
              })}
              {i % every === 0 && <text x={left + i * bw} y={h - 6}>{label(i)}</text>}
            </g>
          );
        })}
      </svg>
      <figcaption id="capacity-caption">
        Hosts over time (UTC): {SERIES.map((s) => <span key={s.key} class="key"><i class={`sw ${s.cls}`} /> {s.label}</span>)}
      </figcaption>
    </figure>
  );
}

export function CapacityView({ session }: { session: Session }) {
  const [range, setRange] = useState(1);
  const [start] = useState(() => Math.floor(Date.now() / HOUR) * HOUR);
  const end = start + RANGES[range].span;
  const capacity = usePolled(async () => (session.may.capacity
    ? (await call<{ capacity: { steps: Step[] } }>('GET', `../v1/os-hosts/capacity${query({ start: requestDate(start), end: requestDate(end), step: RANGES[range].step })}`)).capacity.steps
    : null), [range]);
  const usage = usePolled(async () => (session.may.usage
    ? (await call<{ usage: Usage[] }>('GET', `../v1/usage${query({ start: requestDate(start - 30 * 24 * HOUR), end: requestDate(start) })}`)).usage
    : null), []);

  return (
    <section aria-labelledby="capacity-title">
      <h1 id="capacity-title">Capacity</h1>
      {session.may.capacity && (
        <>
          <div role="group" aria-label="Range" class="toolbar">
            {RANGES.map((r, i) => <button key={r.label} type="button" class={i === range ? '' : 'secondary'} aria-pressed={i === range} onClick={() => setRange(i)}>{r.label}</button>)}
          </div>
          {capacity.error && <p role="alert" class="error">{capacity.error}</p>}
          {capacity.data ? <CapacityChart steps={capacity.data} /> : <p role="status">Loading capacity…</p>}
        </>
      )}
      {session.may.usage && (
        <>
          <h2>Usage in the last 30 days{session.is_admin ? ', by project' : ''}</h2>
          <p class="small">From {show(start - 30 * 24 * HOUR)} to {show(start)}.</p>
          {usage.error && <p role="alert" class="error">{usage.error}</p>}
          <div class="table-wrap">
            <table>
              <thead><tr><th scope="col">Project</th><th scope="col">Resource</th><th scope="col">Host-hours</th><th scope="col">Instance slot-hours</th><th scope="col">Leases</th></tr></thead>
              <tbody>
                {(usage.data ?? []).map((u) => (
                  <tr key={`${u.project_id}-${u.resource_type}`}><td class="mono">{u.project_id}</td><td>{u.resource_type}</td><td>{u.host_hours}</td><td>{u.instance_slot_hours}</td><td>{u.leases}</td></tr>
                ))}
                {usage.data && !usage.data.length && <tr><td colSpan={5}>Nothing used in this range.</td></tr>}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}
