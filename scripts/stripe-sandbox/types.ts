/**
 * Object types stored and returned by the sandbox: the SDK's own types, adjusted where the
 * fixture of the API version (shared/stripe/fixtures3.json) differs from the SDK's typings.
 */
import type Stripe from 'stripe';

export type SetupIntentObj = Omit<Stripe.SetupIntent, 'allowed_payment_method_types'>;
export type PaymentIntentObj = Omit<Stripe.PaymentIntent, 'allowed_payment_method_types' | 'payment_record'>;
export type DisputeObj = Omit<Stripe.Dispute, 'intended_submission_method'>;
export type CheckoutSessionObj = Omit<Stripe.Checkout.Session, 'allowed_payment_method_types'>;
export type ProductObj = Omit<Stripe.Product, 'tax_details'>;
export type SubscriptionItemObj = Omit<Stripe.SubscriptionItem, 'current_trial'>;
export type SubscriptionObj = Omit<Stripe.Subscription, 'items'> & { items: ListObj<SubscriptionItemObj> };
/** The fixture still lists `subscription` (always null) on invoices. */
export type InvoiceObj = Stripe.Invoice & { subscription: null };

export type ListObj<T> = { object: 'list'; data: T[]; has_more: boolean; url: string };

export type Kinds = {
  customer: Stripe.Customer;
  product: ProductObj;
  price: Stripe.Price;
  payment_method: Stripe.PaymentMethod;
  setup_intent: SetupIntentObj;
  payment_intent: PaymentIntentObj;
  charge: Stripe.Charge;
  balance_transaction: Stripe.BalanceTransaction;
  refund: Stripe.Refund;
  dispute: DisputeObj;
  'checkout.session': CheckoutSessionObj;
  subscription: SubscriptionObj;
  invoice: InvoiceObj;
  invoiceitem: Stripe.InvoiceItem;
  invoice_payment: Stripe.InvoicePayment;
  'test_helpers.test_clock': Stripe.TestHelpers.TestClock;
  'billing_portal.session': Stripe.BillingPortal.Session;
  account: Stripe.Account;
  transfer: Stripe.Transfer;
  transfer_reversal: Stripe.TransferReversal;
  payout: Stripe.Payout;
  event: Stripe.Event;
  webhook_endpoint: Stripe.WebhookEndpoint;
};

export type Kind = keyof Kinds;

/** How a test card behaves (see cards.ts). */
export type CardScenario =
  | 'success'
  | 'decline_insufficient_funds'
  | 'decline_generic'
  | 'decline_expired'
  | 'decline_incorrect_cvc'
  | 'decline_processing_error'
  | 'decline_lost'
  | 'decline_stolen'
  | 'decline_fraudulent'
  | 'attach_ok_charge_fails'
  | 'auth_required_on_setup'
  | 'auth_required_always'
  | 'dispute_fraudulent'
  | 'dispute_inquiry'
  | 'dispute_product_not_received'
  | 'refund_fails'
  | 'bypass_pending';

export type CardInternal = {
  number: string;
  scenario: CardScenario;
  /** Set up for off-session use with authentication (SetupIntent / Checkout). */
  authenticated: boolean;
};

export type CheckoutInternal = {
  lineItems: Stripe.LineItem[];
  paymentIntentData: {
    metadata?: Record<string, string>;
    description?: string;
    setup_future_usage?: string;
    transfer_group?: string;
    receipt_email?: string;
    capture_method?: string;
    statement_descriptor?: string;
  };
  subscriptionData: { metadata?: Record<string, string>; description?: string; billing_cycle_anchor?: number; proration_behavior?: string };
  setupIntentData: { metadata?: Record<string, string>; description?: string };
  error?: string;
};

export type IdempotencyRecord = {
  key: string;
  method: string;
  path: string;
  account: string | null;
  fingerprint: string;
  status: number;
  body: string;
  requestId: string;
  createdMs: number;
};

export type Delivery = {
  id: string;
  eventId: string;
  endpointId: string;
  attempts: number;
  nextAtMs: number;
  status: 'pending' | 'succeeded' | 'failed';
  lastStatus: number | null;
  lastError: string | null;
  createdMs: number;
  /** The payload of the first attempt: retries re-send exactly the same bytes. */
  payload?: string;
};

export type AccountLinkInternal = {
  token: string;
  account: string;
  refresh_url: string;
  return_url: string;
  type: string;
  expires_at: number;
  used: boolean;
  /** Account links are single-use: a second visit goes to refresh_url, as Stripe does. */
  visited?: boolean;
};

export type Internal = {
  cards: Record<string, CardInternal>;
  webhookSecrets: Record<string, string>;
  /** Endpoints that receive connected accounts' events. */
  webhookConnect: Record<string, boolean>;
  checkout: Record<string, CheckoutInternal>;
  /** Retries already used for an invoice (index into the retry schedule). */
  invoiceRetries: Record<string, number>;
  accountLinks: Record<string, AccountLinkInternal>;
  /** Bank account ids of connected accounts (for payout destinations). */
  bankAccounts: Record<string, string>;
  /** Time a clock is processing while it advances (its frozen_time is only set at the end). */
  clockProcessing: Record<string, number>;
  /** Secret of a portal session's page. */
  portalConfig: string | null;
  /** Pending 3-D Secure challenges shown on the hosted authentication page. */
  challenges: Record<string, { intent: string; return_url: string | null; checkout?: string }>;
  invoiceCounter: number;
  /** Deleted objects (retrieving them answers `{ id, object, deleted: true }`). */
  deleted: Record<string, string>;
};
