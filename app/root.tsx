import { data, type LinksFunction, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, Link, Links, Meta, NavLink, Outlet, Scripts, ScrollRestoration, useRouteLoaderData } from '@remix-run/react';
import type { ReactNode } from 'react';
import { ErrorPage } from '#app/components/error-page.tsx';
import { useNonce } from '#app/components/nonce.tsx';
import { readSession } from '#app/modules/accounts/sessions.server.ts';
import styles from '#app/styles/app.css?url';

export const links: LinksFunction = () => [
  { rel: 'stylesheet', href: styles },
  { rel: 'icon', href: '/favicon.svg', type: 'image/svg+xml' },
];

export const meta: MetaFunction = () => [{ title: 'Makerfund' }];

export async function loader({ request }: LoaderFunctionArgs) {
  const { user, setCookie } = await readSession(request);
  return data(
    { user: user ? { handle: user.handle, displayName: user.displayName } : null, dev: process.env.NODE_ENV !== 'production' },
    setCookie ? { headers: { 'Set-Cookie': setCookie } } : undefined,
  );
}

export function Layout({ children }: { children: ReactNode }) {
  const nonce = useNonce();
  const root = useRouteLoaderData<typeof loader>('root');
  return (
    <html lang="en">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <Meta />
        <Links />
      </head>
      <body>
        <a className="skip-link" href="#main">
          Skip to content
        </a>
        <Header user={root?.user ?? null} dev={root?.dev ?? false} />
        <main id="main">{children}</main>
        <footer className="site-footer">
          <p>Makerfund — patronage and crowdfunding for open-source makers.</p>
        </footer>
        <ScrollRestoration nonce={nonce} />
        <Scripts nonce={nonce} />
      </body>
    </html>
  );
}

function Header({ user, dev }: { user: { handle: string; displayName: string } | null; dev: boolean }) {
  return (
    <header className="site-header">
      <Link to="/" className="brand">
        Makerfund
      </Link>
      <nav aria-label="Main">
        {dev ? <NavLink to="/dev/outbox">Outbox</NavLink> : null}
        {user ? (
          <>
            <NavLink to={`/@${user.handle}`} className="who" end>
              Signed in as <strong>{user.displayName}</strong> <span className="muted">@{user.handle}</span>
            </NavLink>
            <NavLink to="/patron">Pledges</NavLink>
            <NavLink to="/studio">Studio</NavLink>
            <NavLink to="/settings/profile">Settings</NavLink>
            <Form method="post" action="/logout">
              <button type="submit" className="link-button">
                Log out
              </button>
            </Form>
          </>
        ) : (
          <>
            <NavLink to="/login">Log in</NavLink>
            <Link to="/signup" className="button button-small">
              Sign up
            </Link>
          </>
        )}
      </nav>
    </header>
  );
}

export default function App() {
  return <Outlet />;
}

export function ErrorBoundary() {
  return <ErrorPage />;
}
