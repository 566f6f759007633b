/** The dashboard: sign-in, then the views the signed-in token may use, chosen by the URL's hash. */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { call, onSignedOut, type Session } from './api';
import { clearSession, currentToken } from './session';
import { CalendarView } from './views/calendar';
import { CapacityView } from './views/capacity';
import { CreateLeaseView } from './views/create';
import { HostsView } from './views/hosts';
import { LeaseDetailView } from './views/lease-detail';
import { LeasesView } from './views/leases';
import { SignInView } from './views/signin';

interface Route { view: string; id?: string }

function routeOf(hash: string): Route {
  const [view, id] = hash.replace(/^#\/?/, '').split('/');
  return { view: view || 'leases', id };
}

const NAV = [
  { view: 'leases', label: 'Leases', allowed: () => true },
  { view: 'create', label: 'Create a lease', allowed: (s: Session) => s.may.create },
  { view: 'calendar', label: 'Host calendar', allowed: (s: Session) => s.may.calendar },
  { view: 'capacity', label: 'Capacity', allowed: (s: Session) => s.may.capacity || s.may.usage },
  { view: 'hosts', label: 'Hosts', allowed: (s: Session) => s.may.hosts },
];

function App() {
  const [auth, setAuth] = useState<'keystone' | 'noauth' | null>(null);
  const [session, setSession] = useState<Session | null>(null);
  const [route, setRoute] = useState<Route>(routeOf(location.hash));
  const [notice, setNotice] = useState('');

  const loadSession = async () => {
    try {
      setSession(await call<Session>('GET', 'api/session'));
    } catch (error) {
      setSession(null);
      setNotice((error as Error).message);
    }
  };

  useEffect(() => {
    const onHash = () => setRoute(routeOf(location.hash));
    addEventListener('hashchange', onHash);
    const off = onSignedOut(() => { setSession(null); setNotice('Your session has ended; sign in again.'); });
    call<{ auth: 'keystone' | 'noauth' }>('GET', 'api/config').then((c) => {
      setAuth(c.auth);
      if (c.auth === 'noauth' || currentToken()) void loadSession();
    }).catch((error: Error) => setNotice(error.message));
    return () => { removeEventListener('hashchange', onHash); off(); };
  }, []);

  useEffect(() => {
    document.title = `${NAV.find((n) => n.view === route.view)?.label ?? 'Lease'} · Climate`;
    document.getElementById('main')?.focus();
  }, [route.view, route.id, session !== null]);

  const signOut = async () => {
    try { await call('DELETE', 'api/tokens'); } catch { /* already invalid: signing out is what we want */ }
    clearSession();
    setSession(null);
    setNotice('You are signed out.');
  };

  if (auth === null) return <main id="main" tabIndex={-1}><p role="status">{notice || 'Loading…'}</p></main>;
  if (!session) {
    return auth === 'keystone'
      ? <SignInView notice={notice} onSignedIn={() => { setNotice(''); void loadSession(); }} />
      : <main id="main" tabIndex={-1}><p role="alert">{notice}</p></main>;
  }
  const allowed = NAV.filter((n) => n.allowed(session));
  const view = route.view;
  return (
    <>
      <a class="skip" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById('main')?.focus(); }}>Skip to content</a>
      <header class="top">
        <span class="brand">Climate</span>
        <nav aria-label="Views">
          <ul>
            {allowed.map((n) => (
              <li key={n.view}><a href={`#/${n.view}`} aria-current={view === n.view ? 'page' : undefined}>{n.label}</a></li>
            ))}
          </ul>
        </nav>
        <span class="who" data-testid="who">
          {session.user_name ?? session.user_id ?? 'noauth'}{session.project_name ? ` · ${session.project_name}` : ''}{session.is_admin ? ' · admin' : ''}
        </span>
        {auth === 'keystone' && <button type="button" class="secondary" onClick={() => void signOut()}>Sign out</button>}
      </header>
      <main id="main" tabIndex={-1}>
        {view === 'leases' && <LeasesView session={session} />}
        {view === 'lease' && route.id && <LeaseDetailView id={route.id} session={session} />}
        {view === 'create' && (session.may.create ? <CreateLeaseView session={session} /> : <Refused what="create leases" />)}
        {view === 'calendar' && (session.may.calendar ? <CalendarView session={session} /> : <Refused what="see the host calendar" />)}
        {view === 'capacity' && <CapacityView session={session} />}
        {view === 'hosts' && (session.may.hosts ? <HostsView /> : <Refused what="list hosts" />)}
      </main>
    </>
  );
}

function Refused({ what }: { what: string }) {
  return <p role="alert" class="error">Your role in this project may not {what}.</p>;
}

render(<App />, document.getElementById('app')!);
