import { redirect, type ActionFunctionArgs } from '@remix-run/node';
import { endSession } from '#app/modules/accounts/sessions.server.ts';

// Logging out changes state, so it is a POST only; a GET (a crawler, a prefetch) just goes home.
export async function loader() {
  return redirect('/');
}

export async function action({ request }: ActionFunctionArgs) {
  return redirect('/', { headers: { 'Set-Cookie': await endSession(request) } });
}
