/**
 * The host calendar: hosts as rows, time as columns, every booking as a bar (the caller's own leases named and
 * linked, other projects' anonymous), free time as the green track behind them, a line at now. Only the rows in
 * view are in the DOM (virtualised), so a thousand hosts with ten thousand leases cost what thirty rows cost.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { call, query, type Session } from '../api';
import { parseApiDate, requestDate, show } from '../dates';
import { filterText, FilterBuilder, type Condition } from '../filter-builder';

interface ApiBooking { start_date: string; end_date: string; kind: 'host' | 'instance'; own: boolean; lease_id?: string; lease_name?: string }
interface ApiHost { id: string; name: string | null; reservable: boolean; status: string | null; bookings: ApiBooking[] }
interface Bar { start: number; end: number; kind: 'host' | 'instance'; own: boolean; leaseId?: string; leaseName?: string }
interface Row { id: string; label: string; reservable: boolean; status: string | null; bars: Bar[] }

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
export const ZOOMS = [
  { label: '6 hours', span: 6 * HOUR, tick: HOUR },
  { label: '1 day', span: DAY, tick: 3 * HOUR },
  { label: '1 week', span: 7 * DAY, tick: DAY },
  { label: '1 month', span: 30 * DAY, tick: 5 * DAY },
  { label: '3 months', span: 90 * DAY, tick: 15 * DAY },
];
const ROW_HEIGHT = 28;
/** Hosts in the first request (more than a tall screen shows) and in each request after it. */
const FIRST_PAGE = 60;
const NEXT_PAGE = 500;
/** Rows drawn above and below the visible ones, so scrolling never shows a blank band. */
const OVERSCAN = 8;
export const RENDER_MEASURE = 'climate:calendar:first-screen';
/** From the same start until every host's row is known (all pages read). */
export const ALL_HOSTS_MEASURE = 'climate:calendar:all-hosts';

function rowsOf(hosts: ApiHost[]): Row[] {
  return hosts.map((h) => ({
    id: h.id, label: h.name ?? `host ${h.id}`, reservable: h.reservable, status: h.status,
    bars: h.bookings.map((b) => ({
      start: parseApiDate(b.start_date), end: parseApiDate(b.end_date), kind: b.kind, own: b.own, leaseId: b.lease_id, leaseName: b.lease_name,
    })),
  }));
}

/** The window's start for a zoom: the current hour, day or week boundary a little before now. */
function alignedStart(now: number, zoom: number): number {
  const span = ZOOMS[zoom].span;
  const unit = span <= DAY ? HOUR : DAY;
  return Math.floor((now - span / 6) / unit) * unit;
}

export function CalendarView({ session }: { session: Session }) {
  const [zoom, setZoom] = useState(2);
  const [start, setStart] = useState(() => alignedStart(Date.now(), 2));
  const [conditions, setConditions] = useState<Condition[]>([]);
  const [filter, setFilter] = useState('');
  const [hostText, setHostText] = useState('');
  const [rows, setRows] = useState<Row[] | null>(null);
  const [error, setError] = useState('');
  const [complete, setComplete] = useState(false);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewport, setViewport] = useState(600);
  const [now, setNow] = useState(Date.now());
  const body = useRef<HTMLDivElement>(null);
  const measured = useRef(false);
  const measuredAll = useRef(false);
  const span = ZOOMS[zoom].span;
  const end = start + span;

  useEffect(() => { performance.mark('climate:calendar:start'); }, []);

  useEffect(() => {
    let alive = true;
    // The first page holds a screenful of hosts, so the first screen waits for a small answer; the other
    // hosts follow in larger pages behind it.
    const load = async (progressive: boolean) => {
      try {
        const rowsSoFar: Row[] = [];
        let marker: string | undefined;
        for (let limit = FIRST_PAGE; alive; limit = NEXT_PAGE) {
          const answer = await call<{ calendar: { hosts: ApiHost[] } }>('GET', `../v1/os-hosts/calendar${query({
            start: requestDate(start), end: requestDate(end), resource_properties: filter, limit, marker,
          })}`);
          rowsSoFar.push(...rowsOf(answer.calendar.hosts));
          if (alive && progressive) { setRows([...rowsSoFar]); setError(''); }
          if (answer.calendar.hosts.length < limit) break;
          marker = answer.calendar.hosts[answer.calendar.hosts.length - 1].id;
        }
        // A refresh replaces the rows at once, so they never shrink to the first page meanwhile.
        if (alive) { setRows(rowsSoFar); setComplete(true); setError(''); setNow(Date.now()); }
      } catch (e) {
        if (alive) setError((e as Error).message);
      }
    };
    setComplete(false);
    void load(true);
    const timer = window.setInterval(() => { if (document.visibilityState === 'visible') void load(false); }, 60_000);
    return () => { alive = false; clearInterval(timer); };
  }, [start, end, filter]);

  useEffect(() => {
    const el = body.current;
    if (!el) return;
    const observer = new ResizeObserver(() => setViewport(el.clientHeight));
    observer.observe(el);
    return () => observer.disconnect();
  }, [rows !== null]);

  useEffect(() => {
    if (rows && !measured.current) {
      measured.current = true;
      // The first screen is on the glass at the next frame.
      requestAnimationFrame(() => performance.measure(RENDER_MEASURE, 'climate:calendar:start'));
    }
  }, [rows]);

  useEffect(() => {
    if (complete && !measuredAll.current) {
      measuredAll.current = true;
      performance.measure(ALL_HOSTS_MEASURE, 'climate:calendar:start');
    }
  }, [complete]);

  const shown = useMemo(() => (rows ?? []).filter((r) => !hostText || r.label.toLowerCase().includes(hostText.toLowerCase())), [rows, hostText]);
  const first = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(shown.length, Math.ceil((scrollTop + viewport) / ROW_HEIGHT) + OVERSCAN);
  const pct = (t: number) => ((Math.min(Math.max(t, start), end) - start) / span) * 100;
  const ticks: number[] = [];
  for (let t = Math.ceil(start / ZOOMS[zoom].tick) * ZOOMS[zoom].tick; t < end; t += ZOOMS[zoom].tick) ticks.push(t);
  const move = (direction: number) => setStart(start + direction * span / 2);
  const changeZoom = (z: number) => { const centre = start + span / 2; setZoom(z); setStart(Math.round(centre - ZOOMS[z].span / 2)); };
  const tickLabel = (t: number) => (span <= DAY ? requestDate(t).slice(11) : requestDate(t).slice(5, 10));

  return (
    <section aria-labelledby="calendar-title" class="calendar">
      <h1 id="calendar-title">Host calendar</h1>
      <div class="toolbar">
        <div role="group" aria-label="Zoom">
          {ZOOMS.map((z, i) => <button key={z.label} type="button" class={i === zoom ? '' : 'secondary'} aria-pressed={i === zoom} onClick={() => changeZoom(i)}>{z.label}</button>)}
        </div>
        <div role="group" aria-label="Move in time">
          <button type="button" class="secondary" onClick={() => move(-1)} aria-label="Earlier">←</button>
          <button type="button" class="secondary" onClick={() => setStart(alignedStart(Date.now(), zoom))}>Now</button>
          <button type="button" class="secondary" onClick={() => move(1)} aria-label="Later">→</button>
        </div>
        <label>Host name <input type="search" value={hostText} onInput={(e) => { setHostText(e.currentTarget.value); setScrollTop(0); if (body.current) body.current.scrollTop = 0; }} /></label>
        <span class="legend" aria-hidden="true"><i class="sw free" /> free <i class="sw own" /> your leases <i class="sw other" /> {session.is_admin ? 'other leases' : 'other projects'} <i class="sw off" /> not reservable</span>
      </div>
      <details class="property-filter">
        <summary>Filter by host property</summary>
        <form onSubmit={(e) => { e.preventDefault(); setFilter(filterText(conditions)); }}>
          <FilterBuilder legend="Hosts whose properties match" properties={[]} conditions={conditions} onChange={setConditions} />
          <button type="submit">Apply the filter</button>
        </form>
      </details>
      <p class="range" role="status">{show(start)} to {show(end)} · {rows ? `${shown.length} hosts${complete ? '' : ' so far, loading more…'}` : 'loading…'}</p>
      {error && <p role="alert" class="error">{error}</p>}
      <div class="gantt" data-view-start={start} data-view-end={end}>
        <div class="gantt-head" aria-hidden="true">
          <div class="label-col">Host</div>
          <div class="track">
            {ticks.map((t) => <span key={t} class="tick" style={{ left: `${pct(t)}%` }}>{tickLabel(t)}</span>)}
          </div>
        </div>
        <div class="gantt-body" ref={body} tabIndex={0} aria-label="Hosts and their bookings; scroll for more hosts"
          onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}>
          <div class="gantt-inner" style={{ height: `${shown.length * ROW_HEIGHT}px` }} role="list">
            {now >= start && now < end && <div class="now-line" style={{ '--at': `${pct(now)}` }} title={`now: ${show(now)}`} />}
            {shown.slice(first, last).map((row, k) => (
              <div key={row.id} role="listitem" class={`gantt-row${row.reservable ? '' : ' off'}`} data-host-id={row.id}
                style={{ top: `${(first + k) * ROW_HEIGHT}px` }}>
                <div class="label-col" title={row.status ? `${row.label}: ${row.status}` : row.label}>
                  {row.label}{row.status && <span class="badge warn">{row.status}</span>}
                </div>
                <div class="track">
                  {ticks.map((t) => <span key={t} class="grid" style={{ left: `${pct(t)}%` }} />)}
                  {row.bars.filter((b) => b.end > start && b.start < end).map((b, j) => {
                    const style = { left: `${pct(b.start)}%`, width: `${Math.max(pct(b.end) - pct(b.start), 0.2)}%` };
                    const when = `${show(b.start)} to ${show(b.end)}`;
                    return b.own && b.leaseId
                      ? <a key={j} class={`bar own ${b.kind}`} href={`#/lease/${b.leaseId}`} style={style} data-lease-id={b.leaseId}
                        data-start={b.start} data-end={b.end} title={`${b.leaseName}: ${when}`} aria-label={`${b.leaseName} on ${row.label}, ${when}`}>{b.leaseName}</a>
                      : <span key={j} class={`bar other ${b.kind}`} style={style} data-lease-id={b.leaseId} data-start={b.start} data-end={b.end}
                        title={b.leaseName ? `${b.leaseName}: ${when}` : `booked: ${when}`} role="img"
                        aria-label={`${b.leaseName ?? 'Booked by another project'} on ${row.label}, ${when}`}>{b.leaseName ?? ''}</span>;
                  })}
                </div>
              </div>
            ))}
          </div>
        </div>
      </div>
    </section>
  );
}
