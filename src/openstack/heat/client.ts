import { isStatus, type CallOptions, type ServiceClient } from '../http';

/** A stack as Heat shows it in a list or in its details (the fields Climate reads). */
export interface HeatStack {
  id: string;
  stack_name: string;
  /** `<ACTION>_<STATE>`, e.g. CREATE_IN_PROGRESS, CREATE_COMPLETE, CREATE_FAILED, DELETE_COMPLETE. */
  stack_status: string;
  stack_status_reason?: string | null;
  /** A list of strings; older Heats send null or "" when there are none. */
  tags?: string[] | string | null;
  outputs?: unknown[];
}

export interface NewStack {
  stackName: string;
  /** HOT as an object, or as the YAML or JSON text the user gave (Heat parses it). */
  template: unknown;
  parameters: Record<string, unknown>;
  environment: Record<string, unknown> | null;
  /** Heat's own deadline for the create, in minutes. */
  timeoutMins: number;
  /** Keep a failed stack as CREATE_FAILED (with its reason) rather than rolling it back. */
  disableRollback: boolean;
  tags: string[];
}

/**
 * Per-call options: the token to act with (a trust-scoped token of the lease's owner), else the client's own;
 * with it, how to get a fresh one after a 401 (see CallOptions).
 */
export type HeatCallOptions = Pick<CallOptions, 'token' | 'refreshToken'>;

/**
 * The parts of Heat's orchestration API v1 Climate uses: stacks of a given project, listed by name, created,
 * shown and deleted. The base URL is the service root (`.../v1/<project>` from the catalog is cut back to it)
 * so that the project in each path is the one asked for; Heat checks it against the token's project.
 *
 * Stacks are addressed by name and id (`/stacks/{name}/{id}`), never by name alone: that answers with a
 * redirect, which the HTTP layer does not follow.
 */
export class HeatClient {
  constructor(readonly http: ServiceClient) {}

  private base(projectId: string): string {
    return `/v1/${encodeURIComponent(projectId)}/stacks`;
  }

  private one(projectId: string, name: string, id: string): string {
    return `${this.base(projectId)}/${encodeURIComponent(name)}/${encodeURIComponent(id)}`;
  }

  /** The project's stacks with this exact name (deleted ones are not listed). */
  async listStacks(projectId: string, name: string, options: HeatCallOptions = {}): Promise<HeatStack[]> {
    const res = await this.http.get<{ stacks: HeatStack[] }>(this.base(projectId), { query: { name }, ...options });
    return res.body.stacks.filter((s) => s.stack_name === name);
  }

  /**
   * Starts creating a stack and returns its id; Heat goes on in the background (CREATE_IN_PROGRESS).
   * 409 when the project already has a stack of that name; 400 when Heat refuses the template or its parameters.
   * Not repeated by the HTTP layer (a POST): callers look the stack up by name after a failure.
   */
  async createStack(projectId: string, stack: NewStack, options: HeatCallOptions = {}): Promise<string> {
    const body: Record<string, unknown> = {
      stack_name: stack.stackName, template: stack.template, parameters: stack.parameters,
      timeout_mins: stack.timeoutMins, disable_rollback: stack.disableRollback,
    };
    if (stack.environment) body.environment = stack.environment;
    if (stack.tags.length) body.tags = stack.tags.join(',');
    return (await this.http.post<{ stack: { id: string } }>(this.base(projectId), body, { ...options })).body.stack.id;
  }

  /** The stack's details; null when Heat does not know it. A deleted stack is shown as DELETE_COMPLETE for a while. */
  async getStack(projectId: string, name: string, id: string, options: HeatCallOptions = {}): Promise<HeatStack | null> {
    try {
      return (await this.http.get<{ stack: HeatStack }>(this.one(projectId, name, id), { ...options })).body.stack;
    } catch (error) {
      if (isStatus(error, 404)) return null;
      throw error;
    }
  }

  /** Starts deleting the stack (DELETE_IN_PROGRESS); a stack already gone is success. */
  async deleteStack(projectId: string, name: string, id: string, options: HeatCallOptions = {}): Promise<void> {
    try {
      await this.http.delete(this.one(projectId, name, id), { ...options });
    } catch (error) {
      if (!isStatus(error, 404)) throw error;
    }
  }
}

/** The tags of a stack as a list, whatever shape this Heat sends them in. */
export function stackTags(stack: Pick<HeatStack, 'tags'>): string[] {
  const tags = stack.tags;
  if (Array.isArray(tags)) return tags;
  return typeof tags === 'string' && tags ? tags.split(',') : [];
}

/** The service root of an orchestration catalog URL: `http://h:8004/v1/abc` gives `http://h:8004`. */
export function heatRoot(url: string): string {
  return url.replace(/\/+$/, '').replace(/\/v1(\/.*)?$/, '');
}
