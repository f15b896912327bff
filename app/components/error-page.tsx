import { isRouteErrorResponse, Link, useRouteError } from '@remix-run/react';

const TITLES: Record<number, string> = {
  400: 'That request did not look right',
  403: 'This page is not yours to see',
  404: 'Page not found',
  405: 'That is not something this page does',
};

/** Maps a thrown response to a page that helps; never shows a stack trace. */
export function ErrorPage() {
  const error = useRouteError();
  const status = isRouteErrorResponse(error) ? error.status : 500;
  const detail =
    isRouteErrorResponse(error) && typeof error.data === 'object' && error.data && 'message' in error.data
      ? String((error.data as { message: unknown }).message)
      : null;
  const title = TITLES[status] ?? 'Something went wrong';
  return (
    <section className="error-page" aria-labelledby="error-title">
      <p className="error-status">{status}</p>
      <h1 id="error-title">{title}</h1>
      <p>{detail ?? (status === 500 ? 'Something broke on our side. It has been logged; please try again in a moment.' : null)}</p>
      {status === 404 ? (
        <p>
          Check the address for typos. Maker pages look like <code>/@handle</code>. You can also{' '}
          <Link to="/">go to the home page</Link>.
        </p>
      ) : (
        <p>
          <Link to="/">Back to the home page</Link>
        </p>
      )}
    </section>
  );
}
