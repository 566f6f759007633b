import { DataTypes, QueryInterface } from 'sequelize';
import { createTableOnce, addIndexOnce, dropTableIfPresent } from './steps';

/**
 * virtual:floatingip reservations: registered floating IPs held for a window. One row per (reservation, IP).
 */
export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await createTableOnce(qi, 'floatingip_allocations', {
    id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
    reservation_id: { type: DataTypes.STRING(36), allowNull: false, references: { model: 'reservations', key: 'id' }, onDelete: 'CASCADE' },
    lease_id: { type: DataTypes.STRING(36), allowNull: false },
    floatingip_id: { type: DataTypes.STRING(36), allowNull: false, references: { model: 'floatingips', key: 'id' } },
    start_date: { type: DataTypes.DATE(3), allowNull: false },
    end_date: { type: DataTypes.DATE(3), allowNull: false },
  });
  await addIndexOnce(qi, 'floatingip_allocations', ['floatingip_id', 'start_date', 'end_date'], { name: 'floatingip_allocations_overlap' });
  await addIndexOnce(qi, 'floatingip_allocations', ['reservation_id'], { name: 'floatingip_allocations_reservation' });
  await addIndexOnce(qi, 'floatingip_allocations', ['lease_id'], { name: 'floatingip_allocations_lease' });
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await dropTableIfPresent(qi, 'floatingip_allocations');
}
