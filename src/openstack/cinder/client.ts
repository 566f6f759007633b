import { isStatus, type ServiceClient } from '../http';

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
 * The parts of Cinder's block storage API v3 Climate uses: volumes in a given project, listed (admin, all
 * projects) by metadata, created, shown, force-detached and deleted. The base URL is the service root
 * (`.../v3/<project>` from the catalog is cut back to it), so that the project in each path is the one asked for.
 */
export class CinderClient {
  constructor(readonly http: ServiceClient) {}

  private base(projectId: string): string {
    return `/v3/${encodeURIComponent(projectId)}/volumes`;
  }

  /** Volumes of the project whose metadata has every given key with the given value (all projects' as admin, filtered). */
  async listVolumes(projectId: string, metadata: Record<string, string>): Promise<CinderVolume[]> {
    const res = await this.http.get<{ volumes: CinderVolume[] }>(`${this.base(projectId)}/detail`, {
      query: { all_tenants: 1, project_id: projectId, metadata: JSON.stringify(metadata) },
    });
    // Cinder versions differ in the filters they honour: check again here.
    return res.body.volumes.filter((v) => Object.entries(metadata).every(([k, value]) => v.metadata?.[k] === value));
  }

  /** 400 for an unknown volume type or a bad size; 413 over quota. */
  async createVolume(projectId: string, volume: NewVolume): Promise<CinderVolume> {
    const body: Record<string, unknown> = { size: volume.size, name: volume.name, metadata: volume.metadata };
    if (volume.volumeType) body.volume_type = volume.volumeType;
    return (await this.http.post<{ volume: CinderVolume }>(this.base(projectId), { volume: body })).body.volume;
  }

  /** Null when the volume is gone. */
  async getVolume(projectId: string, id: string): Promise<CinderVolume | null> {
    try {
      return (await this.http.get<{ volume: CinderVolume }>(`${this.base(projectId)}/${encodeURIComponent(id)}`)).body.volume;
    } catch (error) {
      if (isStatus(error, 404)) return null;
      throw error;
    }
  }

  /** Detaches the volume from whatever holds it (admin). */
  async forceDetach(projectId: string, id: string): Promise<void> {
    await this.http.post(`${this.base(projectId)}/${encodeURIComponent(id)}/action`, { 'os-force_detach': {} }, { idempotent: true });
  }

  /** Deletes the volume and its snapshots; a volume already gone is success. 400 while attached or busy. */
  async deleteVolume(projectId: string, id: string): Promise<void> {
    try {
      await this.http.delete(`${this.base(projectId)}/${encodeURIComponent(id)}`, { query: { cascade: true } });
    } catch (error) {
      if (!isStatus(error, 404)) throw error;
    }
  }
}

/** The service root of a volumev3 catalog URL: `http://h/volume/v3/abc` gives `http://h/volume`. */
export function cinderRoot(url: string): string {
  return url.replace(/\/+$/, '').replace(/\/v3(\/.*)?$/, '');
}
