/**
 * Billing portal sessions: `billingPortal.sessions.create({ customer, return_url })` returns a
 * hosted page (pages/portal.ts) where the customer sees their subscriptions and can cancel at
 * period end, resume, switch price and update their card. Each action goes through the same
 * code as the API and emits the same events.
 */
import type Stripe from 'stripe';
import type { Engine } from './engine.ts';
import { newId } from './ids.ts';
import { noSuch } from './errors.ts';
import { render, mustGet, type Route } from './api.ts';
import { S, validate } from './params.ts';

export function portalConfigurationId(engine: Engine): string {
  engine.store.internal.portalConfig ??= newId('bpc');
  return engine.store.internal.portalConfig;
}

export const routes: Route[] = [
  {
    method: 'POST',
    path: '/v1/billing_portal/sessions',
    handler: (req) => {
      const p = validate<{ customer?: string; return_url?: string; configuration?: string; locale?: string; on_behalf_of?: string; expand?: string[] }>(req.body, {
        customer: S.req(S.str()),
        return_url: S.str({ max: 5000 }),
        configuration: S.str(),
        flow_data: S.any(),
        locale: S.str(),
        on_behalf_of: S.str(),
        customer_account: S.str(),
      });
      const { engine } = req;
      const customer = engine.store.scoped('customer', p.customer, req.account);
      if (!customer) throw noSuch('customer', p.customer ?? '', 'customer');
      const id = newId('bps');
      const session: Stripe.BillingPortal.Session = {
        id,
        object: 'billing_portal.session',
        configuration: p.configuration ?? portalConfigurationId(engine),
        created: engine.now((customer.test_clock as string | null) ?? null),
        customer: customer.id,
        customer_account: null,
        flow: null,
        livemode: false,
        locale: (p.locale as Stripe.BillingPortal.Session.Locale | undefined) ?? null,
        on_behalf_of: p.on_behalf_of ?? null,
        return_url: p.return_url ?? null,
        url: `${engine.baseUrl}/portal/${id}`,
      };
      engine.store.insert('billing_portal.session', session, { account: req.account, clock: engine.store.clockOf(customer.id) });
      return render(engine, session, p.expand);
    },
  },
  {
    method: 'GET',
    path: '/v1/billing_portal/sessions/:id',
    handler: (req) => render(req.engine, mustGet(req, 'billing_portal.session', req.params['id']), validate(req.body, {}).expand),
  },
];
