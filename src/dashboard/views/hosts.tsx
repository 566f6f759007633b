/** Hosts (admins): every host, its size, whether it is reservable, its health status and extra capabilities. */
import { call } from '../api';
import { usePolled } from '../poll';

const BASE = new Set(['id', 'hypervisor_hostname', 'hypervisor_type', 'hypervisor_version', 'vcpus', 'cpu_info', 'memory_mb', 'local_gb',
  'service_name', 'availability_zone', 'status', 'reservable', 'trust_id', 'created_at', 'updated_at']);

export function HostsView() {
  const { data, error } = usePolled((signal) => call<{ hosts: Record<string, unknown>[] }>('GET', '../v1/os-hosts', undefined, signal).then((r) => r.hosts), []);
  return (
    <section aria-labelledby="hosts-title">
      <h1 id="hosts-title">Hosts</h1>
      {error && <p role="alert" class="error">{error}</p>}
      {!data ? <p role="status">Loading hosts…</p> : (
        <div class="table-wrap">
          <table>
            <thead><tr><th scope="col">Name</th><th scope="col">vCPUs</th><th scope="col">Memory (MB)</th><th scope="col">Disk (GB)</th><th scope="col">Reservable</th><th scope="col">Status</th><th scope="col">Properties</th></tr></thead>
            <tbody>
              {data.map((h) => (
                <tr key={String(h.id)}>
                  <td>{String(h.hypervisor_hostname)}</td>
                  <td>{String(h.vcpus ?? '')}</td>
                  <td>{String(h.memory_mb ?? '')}</td>
                  <td>{String(h.local_gb ?? '')}</td>
                  <td>{h.reservable ? 'yes' : <span class="badge warn">no</span>}</td>
                  <td>{h.status ? <span class="badge warn">{String(h.status)}</span> : 'up'}</td>
                  <td class="mono">{Object.entries(h).filter(([k]) => !BASE.has(k)).map(([k, v]) => `${k}=${String(v)}`).join(', ')}</td>
                </tr>
              ))}
              {!data.length && <tr><td colSpan={7}>No hosts.</td></tr>}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
