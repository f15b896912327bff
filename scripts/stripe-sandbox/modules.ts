/** Every resource module's routes and hosted pages. */
import type { PageRoute, Route } from './api.ts';
import * as events from './events.ts';
import * as webhooks from './webhooks.ts';
import * as customers from './customers.ts';
import * as products from './products.ts';
import * as paymentMethods from './payment-methods.ts';
import * as paymentIntents from './payment-intents.ts';
import * as setupIntents from './setup-intents.ts';
import * as charges from './charges.ts';
import * as balance from './balance.ts';
import * as refunds from './refunds.ts';
import * as disputes from './disputes.ts';
import * as testClocks from './test-clocks.ts';
import * as invoices from './invoices.ts';
import * as subscriptions from './subscriptions.ts';
import * as authenticate from './pages/authenticate.ts';
import * as checkout from './checkout.ts';
import * as checkoutPages from './pages/checkout.ts';
import * as portal from './portal.ts';
import * as portalPages from './pages/portal.ts';
import * as connect from './connect.ts';
import * as onboarding from './pages/onboarding.ts';
import * as invoicePages from './pages/invoice.ts';
import * as home from './pages/home.ts';

export const allRoutes: Route[] = [
  ...events.routes,
  ...webhooks.routes,
  ...customers.routes,
  ...products.routes,
  ...paymentMethods.routes,
  ...paymentIntents.routes,
  ...setupIntents.routes,
  ...charges.routes,
  ...balance.routes,
  ...refunds.routes,
  ...disputes.routes,
  ...testClocks.routes,
  ...invoices.routes,
  ...subscriptions.routes,
  ...checkout.routes,
  ...portal.routes,
  ...connect.routes,
];

export const allPages: PageRoute[] = [...charges.pages, ...authenticate.pages, ...checkoutPages.pages, ...portalPages.pages, ...onboarding.pages, ...invoicePages.pages, ...home.pages];
