import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { useLoaderData } from '@remix-run/react';
import { readOutbox } from '#app/core/email.server.ts';
import { env } from '#app/core/env.server.ts';
import { notFound } from '#app/core/http.server.ts';

export const meta: MetaFunction = () => [{ title: 'Outbox (development) · Makerfund' }];

// Development only: mail the app would have sent when no SMTP server is configured.
export async function loader(_args: LoaderFunctionArgs) {
  if (env().NODE_ENV === 'production' || env().SMTP_URL) notFound();
  const emails = await readOutbox();
  return { emails: emails.slice(0, 100) };
}

export default function Outbox() {
  const { emails } = useLoaderData<typeof loader>();
  return (
    <div className="stack">
      <h1>Outbox</h1>
      <p className="muted">Emails the app sent while no SMTP server is configured (newest first). Only in development.</p>
      {emails.length === 0 ? (
        <div className="empty-state">
          <p>No email sent yet. Sign up to receive a welcome email here.</p>
        </div>
      ) : (
        emails.map((email) => (
          <details key={email.id} className="card">
            <summary>
              <strong>{email.subject}</strong> → {email.to} <span className="muted">· {new Date(email.sentAt).toLocaleString('en')}</span>
            </summary>
            <pre className="email-body">{email.text}</pre>
          </details>
        ))
      )}
    </div>
  );
}
