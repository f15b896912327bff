import { data } from '@remix-run/node';

/** The one way loaders and actions stop with a status; route ErrorBoundaries turn these into pages. */
export function notFound(message = 'We could not find that page.'): never {
  throw data({ message }, { status: 404 });
}

export function forbidden(message = 'You do not have access to this page.'): never {
  throw data({ message }, { status: 403 });
}

export function badRequest(message: string): never {
  throw data({ message }, { status: 400 });
}

/** Methods a route does not accept get 405 instead of running anything. */
export function methodNotAllowed(): never {
  throw data({ message: 'Method not allowed.' }, { status: 405 });
}
