import { DataTypes, QueryInterface } from 'sequelize';
import { createTableOnce, addIndexOnce, dropTableIfPresent } from './steps';

/**
 * virtual:volume reservations: block storage pools that operators register with their capacity, and the
 * gigabytes reservations hold on them for a window. One allocation row per reservation (its volumes all go to
 * one pool); the volume size and count are copied so that capacity is computed from these two tables alone.
 */
export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await createTableOnce(qi, 'volume_pools', {
    id: { type: DataTypes.STRING(36), primaryKey: true },
    name: { type: DataTypes.STRING(255), allowNull: false },
    capacity_gb: { type: DataTypes.INTEGER, allowNull: false },
    // Null: only reservations naming no volume type are placed on it (volumes get Cinder's default type).
    volume_type: { type: DataTypes.STRING(255), allowNull: true },
    created_at: { type: DataTypes.DATE(3), allowNull: false },
    updated_at: { type: DataTypes.DATE(3), allowNull: true },
  });
  await addIndexOnce(qi, 'volume_pools', ['name'], { name: 'volume_pools_name', unique: true });
  await createTableOnce(qi, 'volume_allocations', {
    id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
    reservation_id: { type: DataTypes.STRING(36), allowNull: false, references: { model: 'reservations', key: 'id' }, onDelete: 'CASCADE' },
    lease_id: { type: DataTypes.STRING(36), allowNull: false },
    pool_id: { type: DataTypes.STRING(36), allowNull: false, references: { model: 'volume_pools', key: 'id' } },
    amount: { type: DataTypes.INTEGER, allowNull: false },
    size_gb: { type: DataTypes.INTEGER, allowNull: false },
    start_date: { type: DataTypes.DATE(3), allowNull: false },
    end_date: { type: DataTypes.DATE(3), allowNull: false },
  });
  await addIndexOnce(qi, 'volume_allocations', ['pool_id', 'start_date', 'end_date'], { name: 'volume_allocations_overlap' });
  await addIndexOnce(qi, 'volume_allocations', ['reservation_id'], { name: 'volume_allocations_reservation' });
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await dropTableIfPresent(qi, 'volume_allocations');
  await dropTableIfPresent(qi, 'volume_pools');
}
