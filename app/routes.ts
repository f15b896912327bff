import type { RouteConfig } from '@remix-run/route-config';
import { flatRoutes } from '@remix-run/fs-routes';

// The folder app/routes/ is the site map; see README "Architecture".
export default flatRoutes({ ignoredRouteFiles: ['**/*.test.ts', '**/*.test.tsx'] }) satisfies RouteConfig;
