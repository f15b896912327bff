/** Stripe-shaped API errors. Throw a StripeApiError anywhere in a handler; the router renders it. */

export type StripeErrorBody = {
  type: 'api_error' | 'card_error' | 'idempotency_error' | 'invalid_request_error';
  message: string;
  code?: string;
  decline_code?: string;
  param?: string;
  doc_url?: string;
  payment_intent?: unknown;
  setup_intent?: unknown;
  charge?: string;
  payment_method?: unknown;
  request_log_url?: string;
  advice_code?: string;
};

export class StripeApiError extends Error {
  readonly status: number;
  readonly body: StripeErrorBody;
  /** Raised while validating parameters (no idempotent result is saved for these). */
  validation = false;
  constructor(status: number, body: StripeErrorBody) {
    super(body.message);
    this.status = status;
    this.body = body;
  }
}

const DOCS = 'https://stripe.com/docs/error-codes';

export function invalidRequest(message: string, param?: string, code?: string, status = 400): StripeApiError {
  const body: StripeErrorBody = { type: 'invalid_request_error', message };
  if (code) {
    body.code = code;
    body.doc_url = `${DOCS}/${code.replace(/_/g, '-')}`;
  }
  if (param !== undefined) body.param = param;
  return new StripeApiError(status, body);
}

/** `No such customer: 'cus_x'` (404 resource_missing). */
/** `No such customer: 'cus_x'`: 404 for the object of the URL, 400 for an id given in a parameter. */
export function noSuch(noun: string, id: string, param = 'id', status?: number): StripeApiError {
  return invalidRequest(`No such ${noun}: '${id}'`, param, 'resource_missing', status ?? (param === 'id' ? 404 : 400));
}

export function missingParam(param: string): StripeApiError {
  return invalidRequest(`Missing required param: ${param}.`, param, 'parameter_missing');
}

export function unknownParam(param: string): StripeApiError {
  return invalidRequest(`Received unknown parameter: ${param}`, param, 'parameter_unknown');
}

export function apiError(message = 'An unknown error occurred'): StripeApiError {
  return new StripeApiError(500, { type: 'api_error', message });
}

export function idempotencyError(message: string): StripeApiError {
  return new StripeApiError(400, { type: 'idempotency_error', message });
}

export function rateLimitError(): StripeApiError {
  return new StripeApiError(429, {
    type: 'invalid_request_error',
    code: 'rate_limit',
    message: 'Too many requests hit the API too quickly. We recommend an exponential backoff of your requests.',
    doc_url: `${DOCS}/rate-limit`,
  });
}

export function cardError(fields: Omit<StripeErrorBody, 'type'>): StripeApiError {
  const body: StripeErrorBody = { type: 'card_error', ...fields };
  if (body.code && !body.doc_url) body.doc_url = `${DOCS}/${body.code.replace(/_/g, '-')}`;
  return new StripeApiError(402, body);
}
