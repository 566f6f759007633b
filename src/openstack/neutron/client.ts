import { isStatus, type ServiceClient } from '../http';

/** A floating IP as Neutron shows it (the fields Climate reads). */
export interface NeutronFloatingIp {
  id: string;
  floating_ip_address: string;
  floating_network_id: string;
  project_id: string;
  tenant_id?: string;
  port_id: string | null;
  fixed_ip_address: string | null;
  router_id: string | null;
  status: string;
  description: string;
  tags?: string[];
}

export interface NewFloatingIp {
  floatingNetworkId: string;
  floatingIpAddress: string;
  /** The owner (creating for another project needs the admin role). */
  projectId: string;
  description?: string;
}

/**
 * The parts of Neutron's networking API v2.0 Climate uses: floating IPs and their tags. Methods return
 * Neutron's objects as Neutron shows them and throw the typed errors of the HTTP layer (404 gone, 409 the
 * address is in use); the `ensure*` helpers treat "already so" answers as success, so retried events can
 * repeat them.
 */
export class NeutronClient {
  constructor(readonly http: ServiceClient) {}

  /** Floating IPs of every project (admin) with this address on this network. */
  async findFloatingIps(networkId: string, address: string): Promise<NeutronFloatingIp[]> {
    const res = await this.http.get<{ floatingips: NeutronFloatingIp[] }>('/v2.0/floatingips',
      { query: { floating_network_id: networkId, floating_ip_address: address } });
    // Filters are exact in Neutron; checked again so that a server ignoring one cannot mislead us.
    return res.body.floatingips.filter((f) => f.floating_network_id === networkId && f.floating_ip_address === address);
  }

  /** 409 when the address is in use; 400 when it is outside the network's subnets; 404 unknown network. */
  async createFloatingIp(ip: NewFloatingIp): Promise<NeutronFloatingIp> {
    const floatingip: Record<string, unknown> = {
      floating_network_id: ip.floatingNetworkId, floating_ip_address: ip.floatingIpAddress, project_id: ip.projectId,
    };
    if (ip.description !== undefined) floatingip.description = ip.description;
    return (await this.http.post<{ floatingip: NeutronFloatingIp }>('/v2.0/floatingips', { floatingip })).body.floatingip;
  }

  /** Detaches the floating IP from its port. */
  async disassociateFloatingIp(id: string): Promise<NeutronFloatingIp> {
    return (await this.http.put<{ floatingip: NeutronFloatingIp }>(`/v2.0/floatingips/${encodeURIComponent(id)}`,
      { floatingip: { port_id: null } })).body.floatingip;
  }

  /** Deletes the floating IP; one already gone is fine. */
  async deleteFloatingIp(id: string): Promise<void> {
    try {
      await this.http.delete(`/v2.0/floatingips/${encodeURIComponent(id)}`);
    } catch (error) {
      if (!isStatus(error, 404)) throw error;
    }
  }

  /** Adds a tag (Neutron answers 201 whether or not the tag was there). */
  async addFloatingIpTag(id: string, tag: string): Promise<void> {
    await this.http.put(`/v2.0/floatingips/${encodeURIComponent(id)}/tags/${encodeURIComponent(tag)}`, undefined);
  }
}
