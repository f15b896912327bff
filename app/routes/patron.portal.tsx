import { redirect, type ActionFunctionArgs } from '@remix-run/node';
import { ErrorPage } from '#app/components/error-page.tsx';
import { db } from '#app/core/db.server.ts';
import { badRequest, methodNotAllowed } from '#app/core/http.server.ts';
import { requireUser } from '#app/modules/accounts/sessions.server.ts';
import { billingPortalUrl } from '#app/modules/pledges/manage.server.ts';

export async function loader() {
  methodNotAllowed();
}

/** POST /patron/portal → Stripe's customer portal for the patron's own customer (update card, invoices). */
export async function action({ request }: ActionFunctionArgs) {
  const user = await requireUser(request);
  const url = await billingPortalUrl(db, user.id);
  if (!url) badRequest('You have no payment details with us yet: they are saved when you make your first pledge.');
  throw redirect(url, 303);
}

/** Never rendered with content: the action always redirects or throws to the boundary below. */
export default function PortalRedirect() {
  return null;
}

export function ErrorBoundary() {
  return <ErrorPage />;
}
