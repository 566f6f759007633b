import type { Sequelize } from 'sequelize';
import { isDatabaseUnavailable } from './errors';

export interface Node { readonly host: string; readonly port: number }

/** The part of Sequelize's connection manager every new pooled connection goes through. */
interface ConnectionManager {
  _connect(config: Record<string, unknown>): Promise<unknown>;
  _disconnect(connection: unknown): Promise<void>;
}

interface RawConnection { promise(): { query(sql: string): Promise<[unknown]> } }

/** A node that answers but is not part of the cluster's primary component (wsrep_ready OFF): it refuses work. */
class NodeNotReady extends Error {
  readonly code = 'ECONNREFUSED';
  constructor(node: Node) {
    super(`${node.host}:${node.port} is not ready (wsrep_ready is OFF: not in the cluster's primary component)`);
  }
}

async function galeraReady(connection: unknown): Promise<boolean> {
  const session = (connection as RawConnection).promise();
  // A server that is not a Galera node (no wsrep_on, or OFF: MariaDB's packages build it in) is ready when it answers.
  const [on] = await session.query("SHOW VARIABLES LIKE 'wsrep_on'");
  if ((on as { Value?: string }[])[0]?.Value !== 'ON') return true;
  const [ready] = await session.query("SHOW STATUS LIKE 'wsrep_ready'");
  return (ready as { Value?: string }[])[0]?.Value === 'ON';
}

/**
 * Makes every new pooled connection go to the first of `nodes` that answers and is ready, starting from the
 * node the last connection went to: a process stays on one node while it lives, and moves to the next when it
 * dies or leaves the cluster. Connections already open to a dead node fail with it (their requests get 503)
 * and the pool replaces them. Sequelize has no hook that can retry a connection elsewhere, so its connection
 * manager's `_connect` is wrapped (Sequelize 6).
 */
export function failOver(sequelize: Sequelize, nodes: readonly Node[], onMove: (from: Node, to: Node) => void): void {
  const manager = (sequelize as unknown as { connectionManager: ConnectionManager }).connectionManager;
  const connect = manager._connect.bind(manager);
  let current = 0;
  manager._connect = async (config) => {
    let lastError: unknown;
    for (let tried = 0; tried < nodes.length; tried++) {
      const index = (current + tried) % nodes.length;
      const node = nodes[index];
      try {
        const connection = await connect({ ...config, host: node.host, port: node.port });
        if (!(await galeraReady(connection))) {
          await manager._disconnect(connection).catch(() => undefined);
          throw new NodeNotReady(node);
        }
        if (index !== current) onMove(nodes[current], node);
        current = index;
        return connection;
      } catch (error) {
        if (!(error instanceof NodeNotReady) && !isDatabaseUnavailable(error)) throw error;
        lastError = error;
      }
    }
    throw lastError;
  };
}
