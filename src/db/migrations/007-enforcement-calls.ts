import { DataTypes, QueryInterface } from 'sequelize';
import { addIndexOnce, createTableOnce, dropTableIfPresent, longTextColumn } from './steps';

/**
 * Calls to the usage enforcement service that must reach it after the change they report has committed: the
 * `on-end` of a lease that ended or was deleted. A row is written in the transaction that ends (or deletes) the
 * lease, so the call exists exactly when the end does; the manager sends it, and tries again until it is
 * accepted or given up. No foreign key to the lease: the call outlives a deleted lease (its body is a copy).
 */
export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await createTableOnce(qi, 'enforcement_calls', {
    id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
    lease_id: { type: DataTypes.STRING(36), allowNull: false },
    // The call's name in Blazar's contract: "on-end".
    kind: { type: DataTypes.STRING(32), allowNull: false },
    body: longTextColumn(qi),
    // pending, sent, failed (given up).
    status: { type: DataTypes.STRING(16), allowNull: false },
    attempts: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    // Due time; also the claim: a manager sending the call moves it forward, so no other sends it meanwhile.
    next_attempt_at: { type: DataTypes.DATE(3), allowNull: false },
    last_error: { type: DataTypes.TEXT, allowNull: true },
    created_at: { type: DataTypes.DATE(3), allowNull: false },
    updated_at: { type: DataTypes.DATE(3), allowNull: true },
  });
  await addIndexOnce(qi, 'enforcement_calls', ['status', 'next_attempt_at'], { name: 'enforcement_calls_due' });
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await dropTableIfPresent(qi, 'enforcement_calls');
}
