/** Stripe's test cards and `pm_card_*` test payment method tokens, and how each behaves. */
import type { CardScenario } from './types.ts';

export type TestCard = {
  number: string;
  brand: 'visa' | 'mastercard' | 'amex' | 'discover' | 'unknown';
  funding: 'credit' | 'debit' | 'prepaid';
  country: string;
  scenario: CardScenario;
};

const CARDS: TestCard[] = [
  { number: '4242424242424242', brand: 'visa', funding: 'credit', country: 'US', scenario: 'success' },
  { number: '4000056655665556', brand: 'visa', funding: 'debit', country: 'US', scenario: 'success' },
  { number: '5555555555554444', brand: 'mastercard', funding: 'credit', country: 'US', scenario: 'success' },
  { number: '5200828282828210', brand: 'mastercard', funding: 'debit', country: 'US', scenario: 'success' },
  { number: '378282246310005', brand: 'amex', funding: 'credit', country: 'US', scenario: 'success' },
  { number: '6011111111111117', brand: 'discover', funding: 'credit', country: 'US', scenario: 'success' },
  { number: '4000002760000016', brand: 'visa', funding: 'credit', country: 'DE', scenario: 'success' },
  { number: '4000000000000077', brand: 'visa', funding: 'credit', country: 'US', scenario: 'bypass_pending' },
  { number: '4000000000000002', brand: 'visa', funding: 'credit', country: 'US', scenario: 'decline_generic' },
  { number: '4000000000009995', brand: 'visa', funding: 'credit', country: 'US', scenario: 'decline_insufficient_funds' },
  { number: '4000000000009987', brand: 'visa', funding: 'credit', country: 'US', scenario: 'decline_lost' },
  { number: '4000000000009979', brand: 'visa', funding: 'credit', country: 'US', scenario: 'decline_stolen' },
  { number: '4000000000000069', brand: 'visa', funding: 'credit', country: 'US', scenario: 'decline_expired' },
  { number: '4000000000000127', brand: 'visa', funding: 'credit', country: 'US', scenario: 'decline_incorrect_cvc' },
  { number: '4000000000000119', brand: 'visa', funding: 'credit', country: 'US', scenario: 'decline_processing_error' },
  { number: '4100000000000019', brand: 'visa', funding: 'credit', country: 'US', scenario: 'decline_fraudulent' },
  { number: '4000000000000341', brand: 'visa', funding: 'credit', country: 'US', scenario: 'attach_ok_charge_fails' },
  { number: '4000002500003155', brand: 'visa', funding: 'credit', country: 'US', scenario: 'auth_required_on_setup' },
  { number: '4000002760003184', brand: 'visa', funding: 'credit', country: 'DE', scenario: 'auth_required_always' },
  { number: '4000000000003220', brand: 'visa', funding: 'credit', country: 'US', scenario: 'auth_required_always' },
  { number: '4000000000000259', brand: 'visa', funding: 'credit', country: 'US', scenario: 'dispute_fraudulent' },
  { number: '4000000000001976', brand: 'visa', funding: 'credit', country: 'US', scenario: 'dispute_inquiry' },
  { number: '4000000000002685', brand: 'visa', funding: 'credit', country: 'US', scenario: 'dispute_product_not_received' },
  { number: '4000000000005126', brand: 'visa', funding: 'credit', country: 'US', scenario: 'refund_fails' },
];

const TOKENS: Record<string, string> = {
  visa: '4242424242424242',
  us: '4242424242424242',
  visa_debit: '4000056655665556',
  mastercard: '5555555555554444',
  mastercard_debit: '5200828282828210',
  amex: '378282246310005',
  discover: '6011111111111117',
  de: '4000002760000016',
  bypassPending: '4000000000000077',
  chargeDeclined: '4000000000000002',
  visa_chargeDeclined: '4000000000000002',
  chargeDeclinedInsufficientFunds: '4000000000009995',
  visa_chargeDeclinedInsufficientFunds: '4000000000009995',
  chargeDeclinedLostCard: '4000000000009987',
  visa_chargeDeclinedLostCard: '4000000000009987',
  chargeDeclinedStolenCard: '4000000000009979',
  visa_chargeDeclinedStolenCard: '4000000000009979',
  chargeDeclinedExpiredCard: '4000000000000069',
  visa_chargeDeclinedExpiredCard: '4000000000000069',
  chargeDeclinedIncorrectCvc: '4000000000000127',
  visa_chargeDeclinedIncorrectCvc: '4000000000000127',
  chargeDeclinedProcessingError: '4000000000000119',
  visa_chargeDeclinedProcessingError: '4000000000000119',
  chargeDeclinedFraudulent: '4100000000000019',
  visa_chargeDeclinedFraudulent: '4100000000000019',
  radarBlock: '4100000000000019',
  chargeCustomerFail: '4000000000000341',
  visa_chargeCustomerFail: '4000000000000341',
  authenticationRequiredOnSetup: '4000002500003155',
  authenticationRequired: '4000002760003184',
  threeDSecure2Required: '4000000000003220',
  threeDSecureRequired: '4000000000003220',
  createDispute: '4000000000000259',
  createDisputeInquiry: '4000000000001976',
  createDisputeProductNotReceived: '4000000000002685',
  refundFail: '4000000000005126',
};

export function luhnValid(number: string): boolean {
  if (!/^\d{12,19}$/.test(number)) return false;
  let sum = 0;
  let double = false;
  for (let i = number.length - 1; i >= 0; i--) {
    let d = Number(number[i]);
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

function brandOf(number: string): TestCard['brand'] {
  if (number.startsWith('4')) return 'visa';
  if (/^(5[1-5]|2[2-7])/.test(number)) return 'mastercard';
  if (/^3[47]/.test(number)) return 'amex';
  if (/^6(011|5)/.test(number)) return 'discover';
  return 'unknown';
}

/** The behaviour of a card number; unknown valid numbers simply succeed. */
export function cardFor(number: string): TestCard | null {
  const digits = number.replace(/[\s-]/g, '');
  const known = CARDS.find((c) => c.number === digits);
  if (known) return known;
  if (!luhnValid(digits)) return null;
  return { number: digits, brand: brandOf(digits), funding: 'credit', country: 'US', scenario: 'success' };
}

/** `pm_card_visa`, `tok_visa`, … → test card, or null when not a test token. */
export function cardForToken(token: string): TestCard | null {
  const m = /^(?:pm_card_|tok_)(.+)$/.exec(token);
  if (!m) return null;
  const number = TOKENS[m[1] ?? ''];
  return number ? cardFor(number) : null;
}

export type Decline = { code: string; decline_code?: string; message: string; outcomeReason: string; sellerMessage: string; networkStatus: string; type: string };

export function declineFor(scenario: CardScenario): Decline | null {
  const base = { networkStatus: 'declined_by_network', type: 'issuer_declined' };
  switch (scenario) {
    case 'decline_generic':
    case 'attach_ok_charge_fails':
      return { ...base, code: 'card_declined', decline_code: 'generic_decline', message: 'Your card was declined.', outcomeReason: 'generic_decline', sellerMessage: 'The bank did not return any further details with this decline.' };
    case 'decline_insufficient_funds':
      return { ...base, code: 'card_declined', decline_code: 'insufficient_funds', message: 'Your card has insufficient funds.', outcomeReason: 'insufficient_funds', sellerMessage: 'The bank returned the decline code `insufficient_funds`.' };
    case 'decline_lost':
      return { ...base, code: 'card_declined', decline_code: 'lost_card', message: 'Your card was declined.', outcomeReason: 'lost_card', sellerMessage: 'The bank returned the decline code `lost_card`.' };
    case 'decline_stolen':
      return { ...base, code: 'card_declined', decline_code: 'stolen_card', message: 'Your card was declined.', outcomeReason: 'stolen_card', sellerMessage: 'The bank returned the decline code `stolen_card`.' };
    case 'decline_expired':
      return { ...base, code: 'expired_card', decline_code: 'expired_card', message: 'Your card has expired.', outcomeReason: 'expired_card', sellerMessage: 'The bank returned the decline code `expired_card`.' };
    case 'decline_incorrect_cvc':
      return { ...base, code: 'incorrect_cvc', decline_code: 'incorrect_cvc', message: "Your card's security code is incorrect.", outcomeReason: 'incorrect_cvc', sellerMessage: 'The bank returned the decline code `incorrect_cvc`.' };
    case 'decline_processing_error':
      return { ...base, code: 'processing_error', decline_code: 'processing_error', message: 'An error occurred while processing your card. Try again in a little bit.', outcomeReason: 'processing_error', sellerMessage: 'The bank returned the decline code `processing_error`.' };
    case 'decline_fraudulent':
      return { code: 'card_declined', decline_code: 'fraudulent', message: 'Your card was declined.', outcomeReason: 'highest_risk_level', sellerMessage: 'Stripe blocked this payment as too risky.', networkStatus: 'not_sent_to_network', type: 'blocked' };
    default:
      return null;
  }
}

/**
 * Does attaching / setting up this card fail (the $0 card check is declined)? 0341 and 9995
 * (insufficient funds: a $0 check needs no funds) attach fine and decline when charged.
 */
export function failsOnAttach(scenario: CardScenario): boolean {
  return scenario.startsWith('decline_') && scenario !== 'decline_insufficient_funds';
}
