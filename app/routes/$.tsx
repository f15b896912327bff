import { ErrorPage } from '#app/components/error-page.tsx';
import { notFound } from '#app/core/http.server.ts';

// Any path no other route matches: a 404 page that helps, with the site's layout.
export async function loader() {
  notFound();
}

export async function action() {
  notFound();
}

export default function NotFound() {
  return null;
}

export function ErrorBoundary() {
  return <ErrorPage />;
}
