import { DataTypes, QueryInterface } from 'sequelize';
import { addIndexOnce, createTableOnce, dropTableIfPresent, removeIndexIfPresent } from './steps';

/**
 * Per-project quotas (issue 16, part 2). One row per project that has limits of its own or has had a lease
 * checked: a NULL limit means the `[quotas]` default from the configuration, -1 no limit.
 *
 * The row is also the project's admission lock: every lease create or update that counts the project's usage
 * first writes `admissions` (an upsert), so two transactions of one project counting at the same time queue on
 * this row (InnoDB row lock), and on Galera multi-writer clusters their writesets conflict on it, so one of
 * them is refused at certification and retried instead of both squeezing under a limit.
 */
const limit = () => ({ type: DataTypes.BIGINT, allowNull: true });

export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await createTableOnce(qi, 'project_quotas', {
    project_id: { type: DataTypes.STRING(255), primaryKey: true, allowNull: false },
    hosts: limit(),
    host_hours: limit(),
    instance_slots: limit(),
    leases: limit(),
    max_lease_duration: limit(),
    max_extension: limit(),
    admissions: { type: DataTypes.BIGINT, allowNull: false, defaultValue: 0 },
    updated_at: { type: DataTypes.DATE(3), allowNull: true },
  });
  // "Leases at the same time" reads one project's leases overlapping a window: from the window on, not all of
  // the project's leases since it began.
  await addIndexOnce(qi, 'leases', ['project_id', 'end_date', 'start_date'], { name: 'leases_project_window' });
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await removeIndexIfPresent(qi, 'leases', 'leases_project_window');
  await dropTableIfPresent(qi, 'project_quotas');
}
