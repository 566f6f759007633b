/**
 * An in-process stand-in for Cinder's block storage API v3 (under /volume/v3/{project_id}), answering the
 * calls Climate makes with the status codes and error bodies of the real service, and keeping its volumes so
 * tests can check that nothing is left behind. Volumes go creating → available (or error) and deleting → gone
 * after configurable delays, observed on the next request. Faults can be injected per route.
 *
 * Routes are named without the project: "POST /volumes", "GET /volumes/detail", "GET /volumes/{id}",
 * "DELETE /volumes/{id}", "POST /volumes/{id}/action:os-force_detach".
 *
 * By default the fake trusts the project in the path (a Cinder without Keystone). Given `tokenScope`, it acts
 * like Cinder behind Keystone: the X-Auth-Token decides the project (a new volume goes to the token's project,
 * whatever the path says), unknown tokens get 401, and only admin tokens see other projects, use the
 * all_tenants / project_id filters and force-detach.
 */
import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import { FakeService } from './fake-service';

type Json = Record<string, unknown>;

export interface FakeVolume {
  id: string;
  projectId: string;
  name: string | null;
  size: number;
  volumeType: string;
  metadata: Record<string, string>;
  status: string;
  attachedTo: string | null;
  createdAt: number;
  /** When a delete was accepted. */
  deletingSince?: number;
  /** Creation ends in `error` rather than `available`. */
  willFail?: boolean;
}

const FAULT_NAMES: Record<number, string> = {
  400: 'badRequest', 403: 'forbidden', 404: 'itemNotFound', 409: 'conflictingRequest', 413: 'overLimit', 500: 'computeFault', 503: 'serviceUnavailable',
};
/** Statuses Cinder deletes from (besides which a cascade delete is refused). */
const DELETABLE = new Set(['available', 'error', 'error_restoring', 'error_extending', 'error_managing']);

/** What Keystone says a token is scoped to, as Cinder's auth middleware hands it on. */
export interface FakeTokenScope {
  projectId: string;
  admin: boolean;
}

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export class FakeCinder extends FakeService {
  readonly volumes = new Map<string, FakeVolume>();
  readonly volumeTypes = new Set<string>(['__DEFAULT__']);
  /** How long a new volume stays `creating`, and a deleted one `deleting`. */
  createDelayMs = 0;
  deleteDelayMs = 0;
  /** The next this-many creates end in `error`. */
  failCreates = 0;
  /** Keystone mode: the project (and admin flag) of a token, undefined for a token Keystone would not accept. */
  tokenScope: ((token: string) => FakeTokenScope | undefined) | null = null;

  /** The endpoint as a catalog would list it, without the project (Climate appends /v3/{project_id}). */
  get endpoint(): string {
    return `${this.url}/volume`;
  }

  /** Volumes not deleted (whatever their status), after the pending transitions. */
  live(): FakeVolume[] {
    this.tick();
    return [...this.volumes.values()];
  }

  /** Nova's detach of a volume from a server (see FakeNovaPlacement.detachVolume); false when it was not attached there. */
  detach(serverId: string, volumeId: string): boolean {
    const v = this.volumes.get(volumeId);
    if (!v || v.attachedTo !== serverId) return false;
    v.attachedTo = null;
    v.status = 'available';
    return true;
  }

  /** Marks a volume attached to a server (status in-use). */
  attach(id: string, serverId: string): void {
    const v = this.volumes.get(id);
    if (!v) throw new Error(`no volume ${id}`);
    v.status = 'in-use';
    v.attachedTo = serverId;
  }

  private tick(): void {
    const now = Date.now();
    for (const v of [...this.volumes.values()]) {
      if (v.status === 'creating' && now - v.createdAt >= this.createDelayMs) v.status = v.willFail ? 'error' : 'available';
      if (v.status === 'deleting' && now - (v.deletingSince ?? now) >= this.deleteDelayMs) this.volumes.delete(v.id);
    }
  }

  private show(v: FakeVolume): Json {
    return {
      id: v.id, name: v.name, status: v.status, size: v.size, volume_type: v.volumeType, metadata: { ...v.metadata },
      attachments: v.attachedTo ? [{ server_id: v.attachedTo, attachment_id: `att-${v.id}`, volume_id: v.id }] : [],
      'os-vol-tenant-attr:tenant_id': v.projectId, bootable: 'false', availability_zone: 'nova',
    };
  }

  protected async dispatch(req: http.IncomingMessage, text: string, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const method = req.method ?? 'GET';
    const m = /^\/volume\/v3\/([^/]+)(\/.*)?$/.exec(url.pathname);
    const project = m ? decodeURIComponent(m[1]) : '';
    const path = m?.[2] ?? '/';
    let body: unknown = null;
    let badJson = false;
    if (text) {
      try { body = JSON.parse(text); } catch { badJson = true; }
    }
    const route = `${method} ${path.replace(/\/volumes\/(?!detail)[^/]+/, '/volumes/{id}')}`
      + (path.endsWith('/action') && body && typeof body === 'object' ? `:${Object.keys(body as Json)[0]}` : '');
    this.requests.push({ method, path: `${url.pathname}${url.search}`, route, body, headers: req.headers });
    const reply = (status: number, payload?: unknown) => {
      if (res.writableEnded || res.destroyed) return;
      const headers: Record<string, string> = { 'x-openstack-request-id': `req-${randomUUID()}` };
      if (payload === undefined) { res.writeHead(status, headers); res.end(); return; }
      headers['content-type'] = 'application/json';
      res.writeHead(status, headers);
      res.end(JSON.stringify(payload));
    };
    const error = (status: number, message: string) => reply(status, { [FAULT_NAMES[status] ?? 'computeFault']: { code: status, message } });
    const fault = this.takeFault(route);
    if (fault?.hang) return;
    if (fault?.delayMs) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
    if (fault?.status && !fault.afterHandling) { error(fault.status, `injected fault on ${route}`); return; }
    try {
      if (!m) throw new HttpError(404, 'Not found');
      let caller: FakeTokenScope | null = null;
      if (this.tokenScope) {
        const token = req.headers['x-auth-token'];
        caller = typeof token === 'string' ? this.tokenScope(token) ?? null : null;
        if (!caller) throw new HttpError(401, 'The request you have made requires authentication.');
      }
      if (badJson) throw new HttpError(400, 'Malformed request body');
      this.tick();
      const result = this.handle(method, project, path, url.searchParams, body, caller);
      if (fault?.status) { error(fault.status, `injected fault on ${route} (after handling)`); return; }
      reply(result.status, result.body);
    } catch (e) {
      if (e instanceof HttpError) error(e.status, e.message);
      else error(500, String(e));
    }
  }

  private volume(project: string, id: string, caller: FakeTokenScope | null): FakeVolume {
    const v = this.volumes.get(id);
    const visible = caller ? caller.admin || v?.projectId === caller.projectId : v?.projectId === project;
    if (!v || !visible) throw new HttpError(404, `Volume ${id} could not be found.`);
    return v;
  }

  private handle(method: string, project: string, path: string, q: URLSearchParams, body: unknown,
    caller: FakeTokenScope | null): { status: number; body?: unknown } {
    const seg = path.split('/').filter(Boolean);
    if (method === 'POST' && path === '/volumes') {
      const v = (body as { volume?: Json } | null)?.volume;
      if (!v || typeof v !== 'object') throw new HttpError(400, 'Missing required element \'volume\' in request body.');
      if (!Number.isInteger(v.size) || (v.size as number) < 1) throw new HttpError(400, `Invalid input received: size ${JSON.stringify(v.size)} must be an integer greater than 0`);
      const type = v.volume_type === undefined || v.volume_type === null ? '__DEFAULT__' : String(v.volume_type);
      if (!this.volumeTypes.has(type)) throw new HttpError(404, `Volume type with name ${type} could not be found.`);
      const metadata = (v.metadata ?? {}) as Record<string, unknown>;
      if (typeof metadata !== 'object' || Object.values(metadata).some((x) => typeof x !== 'string')) {
        throw new HttpError(400, 'Invalid input received: metadata values must be strings');
      }
      const volume: FakeVolume = {
        // Behind Keystone the token's project, not the path's.
        id: randomUUID(), projectId: caller?.projectId ?? project, name: typeof v.name === 'string' ? v.name : null, size: v.size as number, volumeType: type,
        metadata: metadata as Record<string, string>, status: 'creating', attachedTo: null, createdAt: Date.now(),
        willFail: this.failCreates > 0,
      };
      if (this.failCreates > 0) this.failCreates--;
      this.volumes.set(volume.id, volume);
      return { status: 202, body: { volume: this.show(volume) } };
    }
    if (method === 'GET' && (path === '/volumes/detail' || path === '/volumes')) {
      if (caller && !caller.admin && q.has('project_id')) throw new HttpError(400, 'Invalid filters project_id are found in query options.');
      const all = (q.get('all_tenants') === '1' || q.get('all_tenants') === 'true') && (!caller || caller.admin);
      const projectFilter = all ? q.get('project_id') : caller?.projectId ?? project;
      let filter: Record<string, string> = {};
      if (q.get('metadata')) {
        try { filter = JSON.parse(q.get('metadata')!); } catch { throw new HttpError(400, 'Invalid filter metadata'); }
      }
      const name = q.get('name');
      const volumes = [...this.volumes.values()].filter((v) => (!projectFilter || v.projectId === projectFilter)
        && (name === null || v.name === name) && Object.entries(filter).every(([k, x]) => v.metadata[k] === x));
      return { status: 200, body: { volumes: volumes.map((v) => this.show(v)) } };
    }
    if (seg[0] === 'volumes' && seg.length === 2) {
      const v = this.volume(project, seg[1], caller);
      if (method === 'GET') return { status: 200, body: { volume: this.show(v) } };
      if (method === 'DELETE') {
        if (v.attachedTo || !DELETABLE.has(v.status)) {
          throw new HttpError(400, `Invalid volume: Volume status must be available or error and must not be attached (currently ${v.status}).`);
        }
        v.status = 'deleting';
        v.deletingSince = Date.now();
        this.tick();
        return { status: 202 };
      }
    }
    if (method === 'POST' && seg[0] === 'volumes' && seg.length === 3 && seg[2] === 'action') {
      const v = this.volume(project, seg[1], caller);
      const action = Object.keys((body ?? {}) as Json)[0];
      if (action === 'os-force_detach') {
        if (caller && !caller.admin) throw new HttpError(403, 'Policy doesn\'t allow volume_extension:volume_admin_actions:force_detach to be performed.');
        // Since CVE-2023-2088 Cinder removes an attachment a server uses only when Nova asks (with its service
        // token); an admin's force-detach is refused (Cinder 21.3.1 answered 400, the volume staying in-use).
        if (v.attachedTo) throw new HttpError(400, `Invalid volume: detach volume from instance ${v.attachedTo} using the Compute API`);
        v.attachedTo = null;
        if (v.status === 'in-use') v.status = 'available';
        return { status: 202 };
      }
      throw new HttpError(400, `There is no such action: ${action}`);
    }
    throw new HttpError(404, 'Not found');
  }
}
