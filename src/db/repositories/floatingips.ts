import type { Database, Tx } from '../database';
import type { FloatingIpRecord } from '../records';
import { fromSqlBool, fromSqlDate, sqlBool, sqlDate } from '../sql-values';

const COLUMNS = 'id, floating_network_id, subnet_id, floating_ip_address, reservable, created_at, updated_at';

function toFloatingIp(row: Record<string, unknown>): FloatingIpRecord {
  return {
    id: String(row.id),
    floatingNetworkId: String(row.floating_network_id),
    subnetId: row.subnet_id == null ? null : String(row.subnet_id),
    floatingIpAddress: String(row.floating_ip_address),
    reservable: fromSqlBool(row.reservable),
    createdAt: fromSqlDate(row.created_at),
    updatedAt: row.updated_at == null ? null : fromSqlDate(row.updated_at),
  };
}

export class FloatingIpRepository {
  constructor(private readonly db: Database) {}

  async insert(tx: Tx, ip: FloatingIpRecord): Promise<void> {
    await this.db.insert(`INSERT INTO floatingips (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      [ip.id, ip.floatingNetworkId, ip.subnetId, ip.floatingIpAddress, sqlBool(ip.reservable),
        sqlDate(ip.createdAt), sqlDate(ip.updatedAt)], tx);
  }

  async get(id: string, tx?: Tx): Promise<FloatingIpRecord | null> {
    const rows = await this.db.select(`SELECT ${COLUMNS} FROM floatingips WHERE id = ?`, [id], tx);
    return rows.length ? toFloatingIp(rows[0]) : null;
  }

  async findByAddress(networkId: string, address: string, tx?: Tx): Promise<FloatingIpRecord | null> {
    const rows = await this.db.select(`SELECT ${COLUMNS} FROM floatingips WHERE floating_network_id = ? AND floating_ip_address = ?`,
      [networkId, address], tx);
    return rows.length ? toFloatingIp(rows[0]) : null;
  }

  async list(): Promise<FloatingIpRecord[]> {
    return (await this.db.select(`SELECT ${COLUMNS} FROM floatingips ORDER BY created_at, id`)).map(toFloatingIp);
  }

  async delete(tx: Tx, id: string): Promise<void> {
    await this.db.execute('DELETE FROM floatingips WHERE id = ?', [id], tx);
  }
}
