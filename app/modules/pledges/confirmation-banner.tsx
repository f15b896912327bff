import { Link, useRevalidator } from '@remix-run/react';
import { useEffect } from 'react';
import type { PledgeConfirmation } from './confirmation.server.ts';

const POLL_MS = 1500;

/**
 * The banner on the project page after Checkout. While Stripe's confirmation has not reached
 * us it says so and re-asks the server every 1.5 s; it never says "confirmed" before the
 * webhook pipeline has made the pledge active.
 */
export function PledgeConfirmationBanner({ confirmation }: { confirmation: PledgeConfirmation }) {
  const revalidator = useRevalidator();
  const waiting = confirmation.status === 'waiting';
  useEffect(() => {
    if (!waiting) return;
    const timer = setInterval(() => {
      if (revalidator.state === 'idle') revalidator.revalidate();
    }, POLL_MS);
    return () => clearInterval(timer);
  }, [waiting, revalidator]);

  if (confirmation.status === 'confirmed') {
    return (
      <div className="notice pledge-banner" role="status">
        <p>
          <strong>
            You're a patron of {confirmation.projectName} at {confirmation.amountLabel} — thank you!
          </strong>{' '}
          Your first receipt is on its way.
        </p>
        <p className="muted">
          {confirmation.tierName} tier · <Link to="/patron">Manage your pledges</Link>
        </p>
      </div>
    );
  }
  if (waiting) {
    return (
      <div className="notice pledge-banner" role="status" aria-busy="true">
        <p>
          Confirming your pledge of {confirmation.amountLabel} ({confirmation.tierName}) with Stripe… This usually takes a few seconds.
        </p>
      </div>
    );
  }
  return (
    <div className="notice pledge-banner" role="status">
      <p>
        This checkout was not completed, so nothing was charged. Choose a tier below to try again.
      </p>
    </div>
  );
}
