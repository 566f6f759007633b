import { DataTypes, QueryInterface } from 'sequelize';
import { createTableOnce, addIndexOnce, dropTableIfPresent } from './steps';

/**
 * virtual:instance reservations: slots of a flavor held on hosts for a window. One row per (reservation, host);
 * the flavor size is copied so that capacity is computed from this table and the hosts alone.
 */
export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  const int = () => ({ type: DataTypes.INTEGER, allowNull: false });
  await createTableOnce(qi, 'instance_allocations', {
    id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
    reservation_id: { type: DataTypes.STRING(36), allowNull: false, references: { model: 'reservations', key: 'id' }, onDelete: 'CASCADE' },
    lease_id: { type: DataTypes.STRING(36), allowNull: false },
    host_id: { type: DataTypes.INTEGER, allowNull: false, references: { model: 'hosts', key: 'id' } },
    // How many instances of the flavor below the reservation holds on the host.
    slots: int(),
    vcpus: int(),
    memory_mb: int(),
    disk_gb: int(),
    start_date: { type: DataTypes.DATE(3), allowNull: false },
    end_date: { type: DataTypes.DATE(3), allowNull: false },
  });
  await addIndexOnce(qi, 'instance_allocations', ['host_id', 'start_date', 'end_date'], { name: 'instance_allocations_overlap' });
  await addIndexOnce(qi, 'instance_allocations', ['reservation_id'], { name: 'instance_allocations_reservation' });
  await addIndexOnce(qi, 'instance_allocations', ['lease_id'], { name: 'instance_allocations_lease' });
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await dropTableIfPresent(qi, 'instance_allocations');
}
