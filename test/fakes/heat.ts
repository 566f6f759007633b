/**
 * An in-process stand-in for Heat's orchestration API v1 (under /v1/{project_id}/stacks), answering the calls
 * Climate makes with the status codes and error bodies of the real service, and keeping its stacks so tests
 * can check that nothing is left behind. Stacks go CREATE_IN_PROGRESS → CREATE_COMPLETE (or CREATE_FAILED)
 * and DELETE_IN_PROGRESS → DELETE_COMPLETE (or DELETE_FAILED) after configurable delays, observed on the next
 * request. Templates are checked minimally (a mapping with heat_template_version, resources a mapping,
 * parameters declared and given). With a Nova fake attached, a completed stack's servers exist in it (flavors
 * checked by id or name) and go away with the stack. Faults can be injected per route.
 *
 * Routes are named without the project: "POST /stacks", "GET /stacks", "GET /stacks/{name}/{id}",
 * "DELETE /stacks/{name}/{id}", "GET /stacks/{name}".
 */
import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import { parse as parseYaml } from 'yaml';
import { FakeService } from './fake-service';
import type { FakeNovaPlacement } from './nova-placement';

type Json = Record<string, unknown>;

export interface FakeStack {
  id: string;
  projectId: string;
  name: string;
  template: Json;
  parameters: Json;
  environment: Json | null;
  tags: string[];
  timeoutMins: number | null;
  disableRollback: boolean;
  status: string;
  reason: string;
  createdAt: number;
  deletingSince?: number;
  /** Creation ends in CREATE_FAILED with this reason. */
  failWith?: string;
  /** Deletion ends in DELETE_FAILED. */
  deleteFails?: boolean;
  /** Servers made in the Nova fake. */
  serverIds: string[];
}

const TITLES: Record<number, [string, string]> = {
  400: ['Bad Request', 'The server could not comply with the request since it is either malformed or otherwise incorrect.'],
  401: ['Unauthorized', 'This server could not verify that you are authorized to access the document you requested.'],
  404: ['Not Found', 'The resource could not be found.'],
  409: ['Conflict', 'There was a conflict when trying to complete your request.'],
  500: ['Internal Server Error', 'The server has either erred or is incapable of performing the requested operation.'],
  503: ['Service Unavailable', 'The server is currently unavailable. Please try again at a later time.'],
};

class HttpError extends Error {
  constructor(readonly status: number, message: string, readonly type: string) {
    super(message);
  }
}

const isMap = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export class FakeHeat extends FakeService {
  readonly stacks = new Map<string, FakeStack>();
  /** How long a new stack stays CREATE_IN_PROGRESS, and a deleted one DELETE_IN_PROGRESS. */
  createDelayMs = 0;
  deleteDelayMs = 0;
  /** The next this-many creates end in CREATE_FAILED with `failReason`. */
  failCreates = 0;
  failReason = 'Resource CREATE failed: ResourceInError: resources.server: Went to status ERROR due to "Message: No valid host was found."';
  /** The next this-many deletes end in DELETE_FAILED. */
  failDeletes = 0;
  /** Tokens accepted; null accepts any request (with or without a token). */
  acceptTokens: ((token: string | undefined) => boolean) | null = null;
  /**
   * Heat's deferred_auth_method = trusts: before it creates a stack, Heat makes a trust from the caller's token to
   * its own service user (to act later: deletes, autoscaling); Keystone refusing it makes the create a 500. Set
   * to make that trust (throwing when Keystone refuses); null: not modelled.
   */
  deferredAuth: ((token: string | undefined) => Promise<void>) | null = null;
  /** Where a completed stack's servers are made (flavors checked there); none: servers are not modelled. */
  nova: FakeNovaPlacement | null = null;

  /** The endpoint as a catalog would list it, without the project (Climate appends /v1/{project_id}). */
  get endpoint(): string {
    return this.url;
  }

  /** Stacks not deleted (whatever their status), after the pending transitions. */
  live(): FakeStack[] {
    this.tick();
    return [...this.stacks.values()].filter((s) => s.status !== 'DELETE_COMPLETE');
  }

  private tick(): void {
    const now = Date.now();
    for (const s of this.stacks.values()) {
      if (s.status === 'CREATE_IN_PROGRESS' && now - s.createdAt >= this.createDelayMs) this.finishCreate(s);
      if (s.status === 'DELETE_IN_PROGRESS' && now - (s.deletingSince ?? now) >= this.deleteDelayMs) {
        if (s.deleteFails) {
          s.status = 'DELETE_FAILED';
          s.reason = 'Resource DELETE failed: Error: resources.server: Server is locked';
          s.deleteFails = false;
        } else {
          for (const id of s.serverIds) {
            // As Nova deletes an instance: the server and its Placement allocations go.
            this.nova?.servers.delete(id);
            this.nova?.allocations.delete(id);
          }
          s.serverIds = [];
          s.status = 'DELETE_COMPLETE';
          s.reason = 'Stack DELETE completed successfully';
        }
      }
    }
  }

  private finishCreate(s: FakeStack): void {
    if (s.failWith) {
      s.status = 'CREATE_FAILED';
      s.reason = s.failWith;
      return;
    }
    const servers = this.servers(s);
    if (this.nova) {
      for (const { resource, flavor } of servers) {
        const f = [...this.nova.flavors.values()].find((x) => x.id === flavor || x.name === flavor);
        if (!f) {
          s.status = 'CREATE_FAILED';
          s.reason = `Resource CREATE failed: NotFound: resources.${resource}: Flavor ${flavor} could not be found.`;
          return;
        }
      }
      for (const { resource, flavor } of servers) {
        const f = [...this.nova.flavors.values()].find((x) => x.id === flavor || x.name === flavor)!;
        // As the scheduler would: the first host where the boot succeeds (the Nova fake refuses a host without room).
        let made: string | null = null;
        for (const h of this.nova.hypervisors) {
          try {
            made = this.nova.addServer(h.serviceHost, { name: `${s.name}-${resource}`, flavorId: f.id, tenantId: s.projectId }).id;
            break;
          } catch {
            // next host
          }
        }
        if (!made) {
          s.status = 'CREATE_FAILED';
          s.reason = `Resource CREATE failed: ResourceInError: resources.${resource}: Went to status ERROR due to "Message: No valid host was found. "`;
          return;
        }
        s.serverIds.push(made);
      }
    }
    s.status = 'CREATE_COMPLETE';
    s.reason = 'Stack CREATE completed successfully';
  }

  /** The servers a stack makes at create, with their flavors (groups: count, or an autoscaling group's initial size). */
  servers(s: FakeStack): { resource: string; flavor: string }[] {
    const param = (v: unknown): unknown => {
      if (isMap(v) && 'get_param' in v) {
        const name = v.get_param as string;
        const decl = (s.template.parameters as Json | undefined)?.[name] as Json | undefined;
        return s.parameters[name] ?? decl?.default;
      }
      return v;
    };
    const out: { resource: string; flavor: string }[] = [];
    const walk = (name: string, def: Json, times: number) => {
      const props = (def.properties ?? {}) as Json;
      if (def.type === 'OS::Nova::Server') {
        for (let i = 0; i < times; i++) out.push({ resource: name, flavor: String(param(props.flavor)) });
      } else if (def.type === 'OS::Heat::ResourceGroup') {
        walk(name, props.resource_def as Json, times * Number(param(props.count) ?? 1));
      } else if (def.type === 'OS::Heat::AutoScalingGroup') {
        walk(name, props.resource as Json, times * Number(param(props.desired_capacity) ?? param(props.min_size) ?? 0));
      }
    };
    for (const [name, def] of Object.entries((s.template.resources ?? {}) as Json)) walk(name, def as Json, 1);
    return out;
  }

  private show(s: FakeStack, detail: boolean): Json {
    const out: Json = {
      id: s.id, stack_name: s.name, stack_status: s.status, stack_status_reason: s.reason, description: s.template.description ?? 'No description',
      creation_time: new Date(s.createdAt).toISOString().replace(/\.\d+Z$/, 'Z'), updated_time: null, deletion_time: null,
      tags: s.tags.length ? [...s.tags] : null, parent: null, stack_owner: null, stack_user_project_id: s.projectId,
      links: [{ href: `${this.url}/v1/${s.projectId}/stacks/${s.name}/${s.id}`, rel: 'self' }],
    };
    if (detail) {
      Object.assign(out, {
        parameters: { 'OS::project_id': s.projectId, 'OS::stack_id': s.id, 'OS::stack_name': s.name, ...s.parameters },
        outputs: [], disable_rollback: s.disableRollback, timeout_mins: s.timeoutMins, notification_topics: [], capabilities: [],
      });
    }
    return out;
  }

  protected async dispatch(req: http.IncomingMessage, text: string, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const method = req.method ?? 'GET';
    const m = /^\/v1\/([^/]+)(\/.*)?$/.exec(url.pathname);
    const project = m ? decodeURIComponent(m[1]) : '';
    const path = m?.[2] ?? '/';
    const seg = path.split('/').filter(Boolean).map(decodeURIComponent);
    let body: unknown = null;
    let badJson = false;
    if (text) {
      try { body = JSON.parse(text); } catch { badJson = true; }
    }
    const route = `${method} ${seg.length === 3 ? '/stacks/{name}/{id}' : seg.length === 2 ? '/stacks/{name}' : path}`;
    this.requests.push({ method, path: `${url.pathname}${url.search}`, route, body, headers: req.headers });
    const requestId = `req-${randomUUID()}`;
    const reply = (status: number, payload?: unknown, headers: Record<string, string> = {}) => {
      if (res.writableEnded || res.destroyed) return;
      const h: Record<string, string> = { 'x-openstack-request-id': requestId, ...headers };
      if (payload === undefined) { res.writeHead(status, h); res.end(); return; }
      h['content-type'] = 'application/json';
      res.writeHead(status, h);
      res.end(JSON.stringify(payload));
    };
    const error = (status: number, message: string, type: string) => {
      const [title, explanation] = TITLES[status] ?? ['Error', 'Error'];
      reply(status, { explanation, code: status, error: { message, type, traceback: null }, title });
    };
    const fault = this.takeFault(route);
    if (fault?.hang) return;
    if (fault?.delayMs) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
    if (fault?.status && !fault.afterHandling) { error(fault.status, `injected fault on ${route}`, 'HTTPInternalServerError'); return; }
    try {
      const token = req.headers['x-auth-token'] as string | undefined;
      if (this.acceptTokens && !this.acceptTokens(token)) throw new HttpError(401, 'Authentication required', 'HTTPUnauthorized');
      if (!m || seg[0] !== 'stacks') throw new HttpError(404, 'The resource could not be found.', 'HTTPNotFound');
      if (badJson) throw new HttpError(400, 'The server could not comply with the request since it is either malformed or otherwise incorrect.', 'HTTPBadRequest');
      this.tick();
      if (method === 'POST' && seg.length === 1 && this.deferredAuth) {
        await this.deferredAuth(token).catch((e: Error) => { throw new HttpError(500, `Trust creation failed: ${e.message}`, 'Forbidden'); });
      }
      const result = this.handle(method, project, seg, url.searchParams, body);
      if (fault?.status) { error(fault.status, `injected fault on ${route} (after handling)`, 'HTTPInternalServerError'); return; }
      reply(result.status, result.body, result.headers);
    } catch (e) {
      if (e instanceof HttpError) error(e.status, e.message, e.type);
      else error(500, String(e), 'Exception');
    }
  }

  private find(project: string, name: string, id: string): FakeStack {
    const s = this.stacks.get(id);
    if (!s || s.projectId !== project || s.name !== name) throw new HttpError(404, `The Stack (${name}) could not be found.`, 'EntityNotFound');
    return s;
  }

  private handle(method: string, project: string, seg: string[], q: URLSearchParams, body: unknown): { status: number; body?: unknown; headers?: Record<string, string> } {
    if (method === 'POST' && seg.length === 1) return this.create(project, body);
    if (method === 'GET' && seg.length === 1) {
      const name = q.get('name');
      const list = [...this.stacks.values()].filter((s) => s.projectId === project && s.status !== 'DELETE_COMPLETE' && (name === null || s.name === name));
      return { status: 200, body: { stacks: list.map((s) => this.show(s, false)) } };
    }
    if (seg.length === 2 && method === 'GET') {
      const s = [...this.stacks.values()].find((x) => x.projectId === project && x.name === seg[1] && x.status !== 'DELETE_COMPLETE');
      if (!s) throw new HttpError(404, `The Stack (${seg[1]}) could not be found.`, 'EntityNotFound');
      return { status: 302, body: { code: 302, message: 'The resource was found at ...', title: 'Found' }, headers: { location: `${this.url}/v1/${project}/stacks/${s.name}/${s.id}` } };
    }
    if (seg.length === 3 && method === 'GET') return { status: 200, body: { stack: this.show(this.find(project, seg[1], seg[2]), true) } };
    if (seg.length === 3 && method === 'DELETE') {
      const s = this.find(project, seg[1], seg[2]);
      if (s.status === 'DELETE_COMPLETE') throw new HttpError(404, `The Stack (${s.name}) could not be found.`, 'EntityNotFound');
      if (s.status !== 'DELETE_IN_PROGRESS') {
        s.status = 'DELETE_IN_PROGRESS';
        s.reason = 'Stack DELETE started';
        s.deletingSince = Date.now();
        if (this.failDeletes > 0) { s.deleteFails = true; this.failDeletes--; }
        this.tick();
      }
      return { status: 204 };
    }
    throw new HttpError(404, 'The resource could not be found.', 'HTTPNotFound');
  }

  private create(project: string, body: unknown): { status: number; body: unknown } {
    if (!isMap(body)) throw new HttpError(400, 'The request body must be a JSON object', 'HTTPBadRequest');
    const name = body.stack_name;
    if (typeof name !== 'string' || !/^[a-zA-Z][a-zA-Z0-9_.-]{0,254}$/.test(name)) {
      throw new HttpError(400, `Invalid stack name ${String(name)} must contain only alphanumeric or "_-." characters, must start with alpha and must be 255 characters or less.`, 'StackValidationFailed');
    }
    let template = body.template;
    if (typeof template === 'string') {
      try { template = parseYaml(template); } catch { throw new HttpError(400, 'Error parsing template', 'HTTPBadRequest'); }
    }
    if (!isMap(template)) throw new HttpError(400, 'The template is not a JSON object or YAML mapping.', 'HTTPBadRequest');
    if (template.heat_template_version === undefined) {
      throw new HttpError(400, 'Template format version not found.', 'InvalidTemplateVersion');
    }
    if (template.resources !== undefined && !isMap(template.resources)) {
      throw new HttpError(400, 'The template section is invalid: resources', 'InvalidTemplateSection');
    }
    const declared = (isMap(template.parameters) ? template.parameters : {}) as Json;
    const parameters = (isMap(body.parameters) ? body.parameters : {}) as Json;
    for (const key of Object.keys(parameters)) {
      if (!(key in declared)) throw new HttpError(400, `The Parameter (${key}) was not defined in template.`, 'UnknownUserParameter');
    }
    const environment = isMap(body.environment) ? body.environment : null;
    const envParams = { ...((environment?.parameter_defaults ?? {}) as Json), ...((environment?.parameters ?? {}) as Json) };
    for (const [key, decl] of Object.entries(declared)) {
      if (!(key in parameters) && !(key in envParams) && (decl as Json | null)?.default === undefined) {
        throw new HttpError(400, `The Parameter (${key}) was not provided.`, 'UserParameterMissing');
      }
    }
    if ([...this.stacks.values()].some((s) => s.projectId === project && s.name === name && s.status !== 'DELETE_COMPLETE')) {
      throw new HttpError(409, `The Stack (${name}) already exists.`, 'StackExists');
    }
    const tags = typeof body.tags === 'string' ? body.tags.split(',').filter(Boolean) : Array.isArray(body.tags) ? (body.tags as string[]) : [];
    const stack: FakeStack = {
      id: randomUUID(), projectId: project, name, template, parameters: { ...envParams, ...parameters }, environment, tags,
      timeoutMins: typeof body.timeout_mins === 'number' ? body.timeout_mins : null, disableRollback: body.disable_rollback === true,
      status: 'CREATE_IN_PROGRESS', reason: 'Stack CREATE started', createdAt: Date.now(), serverIds: [],
      failWith: this.failCreates > 0 ? this.failReason : undefined,
    };
    if (this.failCreates > 0) this.failCreates--;
    this.stacks.set(stack.id, stack);
    this.tick();
    return { status: 201, body: { stack: { id: stack.id, links: [{ href: `${this.url}/v1/${project}/stacks/${name}/${stack.id}`, rel: 'self' }] } } };
  }
}
