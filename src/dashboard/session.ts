/**
 * The signed-in user's token, kept in sessionStorage only: it dies with the tab, is never written to
 * localStorage or a cookie, and is dropped on sign-out or when the API refuses it.
 */
const KEY = 'climate.token';

export interface StoredToken {
  token: string;
  expires_at: string;
}

export function currentToken(): string | null {
  const raw = sessionStorage.getItem(KEY);
  if (!raw) return null;
  try {
    const stored = JSON.parse(raw) as StoredToken;
    if (Date.parse(stored.expires_at) <= Date.now()) { sessionStorage.removeItem(KEY); return null; }
    return stored.token;
  } catch {
    sessionStorage.removeItem(KEY);
    return null;
  }
}

export function storeToken(token: StoredToken): void {
  sessionStorage.setItem(KEY, JSON.stringify(token));
}

export function clearSession(): void {
  sessionStorage.removeItem(KEY);
}
