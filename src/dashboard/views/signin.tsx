/** Sign-in against Keystone (through climate-api): user name, password, project and domain. */
import { useState } from 'preact/hooks';
import { ApiError, call } from '../api';
import { storeToken } from '../session';

export function SignInView({ notice, onSignedIn }: { notice: string; onSignedIn: () => void }) {
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    setBusy(true);
    setError('');
    try {
      const answer = await call<{ token: string; expires_at: string }>('POST', 'api/tokens', Object.fromEntries(form.entries()));
      storeToken({ token: answer.token, expires_at: answer.expires_at });
      onSignedIn();
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" tabIndex={-1} class="signin">
      <h1>Sign in to Climate</h1>
      {notice && <p role="status" class="notice">{notice}</p>}
      <form onSubmit={(e) => void submit(e)} aria-describedby={error ? 'signin-error' : undefined}>
        <label>User name <input name="username" autocomplete="username" required /></label>
        <label>Password <input name="password" type="password" autocomplete="current-password" required /></label>
        <label>Project <input name="project" required /></label>
        <label>Domain <input name="domain" value="Default" required /></label>
        {error && <p id="signin-error" role="alert" class="error">{error}</p>}
        <button type="submit" disabled={busy}>{busy ? 'Signing in…' : 'Sign in'}</button>
      </form>
    </main>
  );
}
