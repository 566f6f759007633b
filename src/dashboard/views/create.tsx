/**
 * Create a lease: physical host and instance reservations, host filters built from the API's property list,
 * dates, and "find the earliest slot" (POST /v1/leases/availability). The API's refusals are shown next to
 * the field they are about.
 */
import { useEffect, useState } from 'preact/hooks';
import { call, type Lease, type Session } from '../api';
import { fromInput, inputValue, requestDate, show } from '../dates';
import { filterText, FilterBuilder, type Condition } from '../filter-builder';

interface HostRes { kind: 'host'; min: number; max: number; hypervisor: Condition[]; resource: Condition[] }
interface InstanceRes { kind: 'instance'; amount: number; vcpus: number; memory_mb: number; disk_gb: number; affinity: string; resource: Condition[] }
type Res = HostRes | InstanceRes;

const HOUR = 3_600_000;
const newHost = (): HostRes => ({ kind: 'host', min: 1, max: 1, hypervisor: [], resource: [] });
const newInstance = (): InstanceRes => ({ kind: 'instance', amount: 1, vcpus: 1, memory_mb: 1024, disk_gb: 10, affinity: '', resource: [] });

function body(r: Res): Record<string, unknown> {
  if (r.kind === 'host') {
    return { resource_type: 'physical:host', min: r.min, max: r.max, hypervisor_properties: filterText(r.hypervisor), resource_properties: filterText(r.resource) };
  }
  return {
    resource_type: 'virtual:instance', amount: r.amount, vcpus: r.vcpus, memory_mb: r.memory_mb, disk_gb: r.disk_gb,
    affinity: r.affinity === '' ? null : r.affinity === 'true', resource_properties: filterText(r.resource),
  };
}

/** The field an API message is about (its first field name), or 'form'. */
export function fieldOf(message: string): string {
  const m = /\b(name|start_date|end_date|duration|not_before|not_after|hypervisor_properties|resource_properties|min|max|amount|vcpus|memory_mb|disk_gb|affinity)\b/.exec(message);
  if (m) return m[1];
  if (/start/i.test(message)) return 'start_date';
  if (/end/i.test(message)) return 'end_date';
  if (/not enough|hosts? (are|is) (not )?available|no host/i.test(message)) return 'reservations';
  return 'form';
}

export function CreateLeaseView({ session }: { session: Session }) {
  const now = Date.now();
  const [name, setName] = useState('');
  const [start, setStart] = useState(inputValue(Math.ceil(now / HOUR) * HOUR + HOUR));
  const [end, setEnd] = useState(inputValue(Math.ceil(now / HOUR) * HOUR + 2 * HOUR));
  const [hours, setHours] = useState(1);
  const [reservations, setReservations] = useState<Res[]>([newHost()]);
  const [properties, setProperties] = useState<string[]>([]);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [slotNote, setSlotNote] = useState('');
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!session.may.properties) return;
    call<{ resource_properties: { property: string }[] }>('GET', '../v1/os-hosts/properties')
      .then((r) => setProperties(r.resource_properties.map((p) => p.property))).catch(() => setProperties([]));
  }, []);

  const setRes = (i: number, r: Res) => setReservations(reservations.map((x, j) => (j === i ? r : x)));
  const fail = (message: string) => setErrors({ [fieldOf(message)]: message });

  const findEarliest = async () => {
    setErrors({});
    setSlotNote('');
    const notBefore = fromInput(start);
    try {
      const answer = await call<{ slots: { start_date: string; end_date: string }[] }>('POST', '../v1/leases/availability', {
        duration: `${hours}h`, not_before: Number.isNaN(notBefore) ? null : requestDate(Math.max(notBefore, Date.now())),
        reservations: reservations.map(body), limit: 1,
      });
      const slot = answer.slots[0];
      if (!slot) { setErrors({ duration: 'Nothing fits within the search horizon; try fewer hosts, other filters or a shorter duration.' }); return; }
      const from = Date.parse(`${slot.start_date.replace(' ', 'T').slice(0, 16)}:00Z`);
      const to = Date.parse(`${slot.end_date.replace(' ', 'T').slice(0, 16)}:00Z`);
      setStart(inputValue(from));
      setEnd(inputValue(to));
      setSlotNote(`Earliest slot: ${show(from)} to ${show(to)}.`);
    } catch (e) {
      fail((e as Error).message);
    }
  };

  const submit = async (event: Event) => {
    event.preventDefault();
    setErrors({});
    const [from, to] = [fromInput(start), fromInput(end)];
    if (Number.isNaN(from)) { setErrors({ start_date: 'Give a start date.' }); return; }
    if (Number.isNaN(to)) { setErrors({ end_date: 'Give an end date.' }); return; }
    setBusy(true);
    try {
      const created = await call<{ lease: Lease }>('POST', '../v1/leases', {
        name: name.trim(), start_date: requestDate(from), end_date: requestDate(to), reservations: reservations.map(body), events: [],
      });
      location.hash = `#/lease/${created.lease.id}`;
    } catch (e) {
      fail((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const err = (field: string) => errors[field] && <p id={`${field}-error`} role="alert" class="error">{errors[field]}</p>;
  const described = (field: string) => (errors[field] ? `${field}-error` : undefined);

  return (
    <section aria-labelledby="create-title">
      <h1 id="create-title">Create a lease</h1>
      <form class="create" onSubmit={(e) => void submit(e)} noValidate>
        <label>Name <input name="name" value={name} onInput={(e) => setName(e.currentTarget.value)} required aria-describedby={described('name')} /></label>
        {err('name')}
        <fieldset>
          <legend>When (UTC)</legend>
          <div class="row">
            <label>Start <input type="datetime-local" name="start" value={start} onInput={(e) => setStart(e.currentTarget.value)} aria-describedby={described('start_date')} /></label>
            <label>End <input type="datetime-local" name="end" value={end} onInput={(e) => setEnd(e.currentTarget.value)} aria-describedby={described('end_date')} /></label>
          </div>
          {err('start_date')}{err('end_date')}
          {session.may.availability && (
            <div class="row">
              <label>Duration (hours) <input type="number" name="hours" min={1} value={hours} onInput={(e) => setHours(Number(e.currentTarget.value) || 1)} aria-describedby={described('duration')} /></label>
              <button type="button" class="secondary" onClick={() => void findEarliest()}>Find the earliest slot</button>
            </div>
          )}
          {slotNote && <p role="status" class="notice">{slotNote}</p>}
          {err('duration')}{err('not_before')}{err('not_after')}
        </fieldset>
        {reservations.map((r, i) => (
          <fieldset key={i} class="reservation">
            <legend>Reservation {i + 1}: {r.kind === 'host' ? 'physical hosts' : 'instances'}</legend>
            {r.kind === 'host' ? (
              <>
                <div class="row">
                  <label>Minimum hosts <input type="number" min={1} value={r.min} onInput={(e) => setRes(i, { ...r, min: Number(e.currentTarget.value) })} aria-describedby={described('min')} /></label>
                  <label>Maximum hosts <input type="number" min={1} value={r.max} onInput={(e) => setRes(i, { ...r, max: Number(e.currentTarget.value) })} aria-describedby={described('max')} /></label>
                </div>
                {err('min')}{err('max')}
                <FilterBuilder legend="Hypervisor filter (vcpus, memory_mb, local_gb…)" properties={['vcpus', 'memory_mb', 'local_gb', 'hypervisor_type']}
                  conditions={r.hypervisor} onChange={(c) => setRes(i, { ...r, hypervisor: c })} error={errors.hypervisor_properties} />
              </>
            ) : (
              <>
                <div class="row">
                  <label>Instances <input type="number" min={1} value={r.amount} onInput={(e) => setRes(i, { ...r, amount: Number(e.currentTarget.value) })} aria-describedby={described('amount')} /></label>
                  <label>vCPUs <input type="number" min={1} value={r.vcpus} onInput={(e) => setRes(i, { ...r, vcpus: Number(e.currentTarget.value) })} /></label>
                  <label>Memory (MB) <input type="number" min={1} value={r.memory_mb} onInput={(e) => setRes(i, { ...r, memory_mb: Number(e.currentTarget.value) })} /></label>
                  <label>Disk (GB) <input type="number" min={0} value={r.disk_gb} onInput={(e) => setRes(i, { ...r, disk_gb: Number(e.currentTarget.value) })} /></label>
                  <label>Affinity
                    <select value={r.affinity} onChange={(e) => setRes(i, { ...r, affinity: e.currentTarget.value })}>
                      <option value="">any</option><option value="true">same host</option><option value="false">different hosts</option>
                    </select>
                  </label>
                </div>
                {err('amount')}{err('vcpus')}{err('memory_mb')}{err('disk_gb')}
              </>
            )}
            <FilterBuilder legend="Host property filter" properties={properties} conditions={r.resource}
              onChange={(c) => setRes(i, { ...r, resource: c })} error={errors.resource_properties} />
            {reservations.length > 1 && <button type="button" class="secondary" onClick={() => setReservations(reservations.filter((_, j) => j !== i))}>Remove reservation {i + 1}</button>}
          </fieldset>
        ))}
        {err('reservations')}
        <div class="row">
          <button type="button" class="secondary" onClick={() => setReservations([...reservations, newHost()])}>Add physical hosts</button>
          <button type="button" class="secondary" onClick={() => setReservations([...reservations, newInstance()])}>Add instances</button>
        </div>
        {err('form')}
        <button type="submit" disabled={busy}>{busy ? 'Creating…' : 'Create the lease'}</button>
      </form>
    </section>
  );
}
