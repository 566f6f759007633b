import { isStatus, type CallOptions, type ServiceClient } from '../http';

/** A volume as Cinder shows it (the fields Climate reads). */
export interface CinderVolume {
  id: string;
  name: string | null;
  status: string;
  size: number;
  volume_type?: string | null;
  metadata: Record<string, string>;
  attachments?: { server_id?: string; attachment_id?: string }[];
  'os-vol-tenant-attr:tenant_id'?: string;
}

export interface NewVolume {
  size: number;
  name: string;
  volumeType: string | null;
  metadata: Record<string, string>;
}

/**
 * Whom a call acts for: the project in the path and, when a lease has a Keystone trust, a token scoped to that
 * trust (the lease owner's, in the owner's project). Cinder takes a new volume's project from the token, not
 * from the path, so only such a token puts the volume in the owner's project. Without `token` the client's own
 * token (the service user's) is sent; a bare string is the project alone.
 */
export interface CinderScope {
  projectId: string;
  token?: string;
  /** A fresh owner's token after a 401 (see CallOptions.refreshToken). */
  refreshToken?: () => Promise<string>;
}

function scopeOf(scope: string | CinderScope): CinderScope {
  return typeof scope === 'string' ? { projectId: scope } : scope;
}

/**
 * The parts of Cinder's block storage API v3 Climate uses: volumes in a given project, listed by metadata,
 * created, shown, force-detached and deleted. The base URL is the service root (`.../v3/<project>` from the
 * catalog is cut back to it), so that the project in each path is the one asked for.
 */
export class CinderClient {
  constructor(readonly http: ServiceClient) {}

  private base(projectId: string): string {
    return `/v3/${encodeURIComponent(projectId)}/volumes`;
  }

  private auth(s: CinderScope): CallOptions {
    return s.token === undefined ? {} : { token: s.token, refreshToken: s.refreshToken };
  }

  /**
   * Volumes of the project whose metadata has every given key with the given value. With the service token,
   * as admin across projects filtered by project; with an owner's token, the token's project (members may
   * not use the all_tenants and project_id filters).
   */
  async listVolumes(scope: string | CinderScope, metadata: Record<string, string>): Promise<CinderVolume[]> {
    const s = scopeOf(scope);
    const query = s.token === undefined
      ? { all_tenants: 1, project_id: s.projectId, metadata: JSON.stringify(metadata) }
      : { metadata: JSON.stringify(metadata) };
    const res = await this.http.get<{ volumes: CinderVolume[] }>(`${this.base(s.projectId)}/detail`, { query, ...this.auth(s) });
    // Cinder versions differ in the filters they honour: check again here.
    return res.body.volumes.filter((v) => Object.entries(metadata).every(([k, value]) => v.metadata?.[k] === value));
  }

  /** 400 for an unknown volume type or a bad size; 413 over quota. */
  async createVolume(scope: string | CinderScope, volume: NewVolume): Promise<CinderVolume> {
    const s = scopeOf(scope);
    const body: Record<string, unknown> = { size: volume.size, name: volume.name, metadata: volume.metadata };
    if (volume.volumeType) body.volume_type = volume.volumeType;
    return (await this.http.post<{ volume: CinderVolume }>(this.base(s.projectId), { volume: body }, this.auth(s))).body.volume;
  }

  /** Null when the volume is gone. */
  async getVolume(scope: string | CinderScope, id: string): Promise<CinderVolume | null> {
    const s = scopeOf(scope);
    try {
      return (await this.http.get<{ volume: CinderVolume }>(`${this.base(s.projectId)}/${encodeURIComponent(id)}`, this.auth(s))).body.volume;
    } catch (error) {
      if (isStatus(error, 404)) return null;
      throw error;
    }
  }

  /** Detaches the volume from whatever holds it. An admin action: callers send the service token. */
  async forceDetach(scope: string | CinderScope, id: string): Promise<void> {
    const s = scopeOf(scope);
    await this.http.post(`${this.base(s.projectId)}/${encodeURIComponent(id)}/action`, { 'os-force_detach': {} },
      { idempotent: true, ...this.auth(s) });
  }

  /** Deletes the volume and its snapshots; a volume already gone is success. 400 while attached or busy. */
  async deleteVolume(scope: string | CinderScope, id: string): Promise<void> {
    const s = scopeOf(scope);
    try {
      await this.http.delete(`${this.base(s.projectId)}/${encodeURIComponent(id)}`, { query: { cascade: true }, ...this.auth(s) });
    } catch (error) {
      if (!isStatus(error, 404)) throw error;
    }
  }
}

/** The service root of a volumev3 catalog URL: `http://h/volume/v3/abc` gives `http://h/volume`. */
export function cinderRoot(url: string): string {
  return url.replace(/\/+$/, '').replace(/\/v3(\/.*)?$/, '');
}
