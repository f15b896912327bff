/**
 * Test clocks: customers created with `test_clock` live on the clock's frozen time. Advancing
 * runs all due work of the clock's objects in time order, between the `advancing` and `ready`
 * events.
 */
import type Stripe from 'stripe';
import type { Engine } from './engine.ts';
import { newId } from './ids.ts';
import { invalidRequest } from './errors.ts';
import { emit } from './events.ts';
import { listResponse, mustGet, render, type Route } from './api.ts';
import { LIST_PARAMS, S, validate } from './params.ts';
import { runDue } from './scheduler.ts';

type Clock = Stripe.TestHelpers.TestClock;

/** Hook set by subscriptions/customers: removes everything on a deleted clock. */
export const clockHooks: { onDelete: (engine: Engine, clockId: string) => void } = { onDelete: () => {} };

export function advanceClock(engine: Engine, clock: Clock, target: number): void {
  engine.store.internal.clockProcessing[clock.id] = clock.frozen_time;
  try {
    runDue(engine, clock.id, target);
  } finally {
    delete engine.store.internal.clockProcessing[clock.id];
  }
  clock.frozen_time = target;
  clock.status = 'ready';
  clock.status_details = {};
  engine.withContext({}, () => emit(engine, 'test_helpers.test_clock.ready', clock));
}

export const routes: Route[] = [
  {
    method: 'POST',
    path: '/v1/test_helpers/test_clocks',
    handler: (req) => {
      const p = validate<Stripe.TestHelpers.TestClockCreateParams>(req.body, { frozen_time: S.req(S.ts()), name: S.str({ max: 300 }) });
      const created = req.engine.now();
      const clock: Clock = {
        id: newId('clock'),
        object: 'test_helpers.test_clock',
        created,
        deletes_after: created + 30 * 86400,
        frozen_time: p.frozen_time as number,
        livemode: false,
        name: p.name ?? null,
        status: 'ready',
        status_details: {},
      };
      req.engine.store.insert('test_helpers.test_clock', clock, { account: req.account, clock: clock.id });
      emit(req.engine, 'test_helpers.test_clock.created', clock);
      return render(req.engine, clock, p.expand);
    },
  },
  {
    method: 'GET',
    path: '/v1/test_helpers/test_clocks/:id',
    handler: (req) => render(req.engine, mustGet(req, 'test_helpers.test_clock', req.params['id']), validate(req.body, {}).expand),
  },
  {
    method: 'GET',
    path: '/v1/test_helpers/test_clocks',
    handler: (req) => {
      const p = validate(req.body, LIST_PARAMS);
      return listResponse(req.engine, req.engine.store.list('test_helpers.test_clock', req.account), p, '/v1/test_helpers/test_clocks', 'test_helpers.test_clock');
    },
  },
  {
    method: 'DELETE',
    path: '/v1/test_helpers/test_clocks/:id',
    handler: (req) => {
      const clock = mustGet(req, 'test_helpers.test_clock', req.params['id']);
      clockHooks.onDelete(req.engine, clock.id);
      emit(req.engine, 'test_helpers.test_clock.deleted', clock);
      req.engine.store.remove('test_helpers.test_clock', clock.id);
      return { id: clock.id, object: 'test_helpers.test_clock', deleted: true };
    },
  },
  {
    method: 'POST',
    path: '/v1/test_helpers/test_clocks/:id/advance',
    handler: (req) => {
      const clock = mustGet(req, 'test_helpers.test_clock', req.params['id']);
      const p = validate<Stripe.TestHelpers.TestClockAdvanceParams>(req.body, { frozen_time: S.req(S.ts()) });
      const target = p.frozen_time as number;
      if (clock.status === 'advancing') {
        throw invalidRequest('This test clock is currently advancing. Wait for it to finish before advancing it again.', 'frozen_time', 'test_clock_advancing');
      }
      if (target <= clock.frozen_time) {
        throw invalidRequest(
          `The frozen_time you specified (${target}) must be after the current frozen_time of the test clock (${clock.frozen_time}).`,
          'frozen_time',
        );
      }
      const engine = req.engine;
      clock.status = 'advancing';
      clock.status_details = { advancing: { target_frozen_time: target } };
      emit(engine, 'test_helpers.test_clock.advancing', clock);
      const response = render(engine, clock, p.expand);
      setTimeout(() => {
        if (!engine.store.get('test_helpers.test_clock', clock.id)) return;
        advanceClock(engine, clock, target);
        engine.changed();
      }, 5);
      return response;
    },
  },
];
