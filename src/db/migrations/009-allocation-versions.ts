import { DataTypes, QueryInterface } from 'sequelize';
import { addColumnOnce, removeColumnIfPresent } from './steps';

/**
 * A counter on every row an allocation is made under (hosts, floating IPs, volume pools), raised by each
 * transaction that books it. A row lock (`SELECT ... FOR UPDATE`) serialises bookings on one server, but a
 * Galera cluster does not replicate locks: two transactions on two nodes that only insert *different*
 * allocation rows for the same host both pass certification. Writing the same row makes them conflict, so
 * one of them fails certification at commit (a deadlock error) and is run again, then sees the other's booking.
 */
const TABLES = ['hosts', 'floatingips', 'volume_pools'];

export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  for (const table of TABLES) {
    await addColumnOnce(qi, table, 'allocation_version', { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 });
  }
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  for (const table of TABLES) await removeColumnIfPresent(qi, table, 'allocation_version');
}
