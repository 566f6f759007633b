/** A minimal JSON client over Node's fetch (keep-alive), failing loudly on unexpected statuses. */
export async function call(base: string, method: string, path: string, body?: unknown, expected: number[] = [200, 201, 204]): Promise<unknown> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { 'content-type': 'application/json', 'x-project-id': 'bench', 'x-user-id': 'bench', 'x-roles': 'admin' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!expected.includes(res.status)) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : null;
}
