import { randomBytes } from 'node:crypto';
import { db } from '#app/core/db.server.ts';
import type { SupportedCurrency } from '#app/modules/ledger/currency.ts';
import { createProject, type Project } from '#app/modules/projects/projects.server.ts';
import type { TierInput } from '#app/modules/tiers/schemas.ts';
import { createTier, type Tier } from '#app/modules/tiers/tiers.server.ts';

/**
 * Projects and tiers through the module code paths (Stripe product and prices included), so
 * these need the Stripe sandbox configured before app modules load. Import this file
 * dynamically after setting STRIPE_* (see tests/projects.http.test.ts).
 */

let counter = 0;

export async function createTestProject(
  makerId: string,
  overrides: Partial<{ name: string; slug: string; pitch: string; description: string; repositoryUrl: string | null; currency: SupportedCurrency }> = {},
): Promise<Project> {
  counter += 1;
  const result = await createProject(db, makerId, {
    name: overrides.name ?? `Project ${counter}`,
    slug: overrides.slug ?? `project-${counter}-${randomBytes(3).toString('hex')}`,
    pitch: overrides.pitch ?? 'A small tool that does one thing well.',
    description: overrides.description ?? '',
    repositoryUrl: overrides.repositoryUrl ?? null,
    currency: overrides.currency ?? 'eur',
  });
  if ('field' in result) throw new Error(`createTestProject: ${result.message}`);
  return result;
}

export async function createTestTier(project: Pick<Project, 'id' | 'maker_id'>, overrides: Partial<TierInput> = {}): Promise<Tier> {
  counter += 1;
  const tier = await createTier(
    db,
    { projectId: project.id, makerId: project.maker_id },
    {
      name: overrides.name ?? `Tier ${counter}`,
      monthlyAmount: overrides.monthlyAmount ?? 500,
      yearlyAmount: overrides.yearlyAmount ?? null,
      description: overrides.description ?? '',
      benefits: overrides.benefits ?? [],
      patronLimit: overrides.patronLimit ?? null,
    },
  );
  if (!tier) throw new Error('createTestTier: project not found');
  if ('formError' in tier) throw new Error(`createTestTier: ${tier.formError}`);
  return tier;
}

/** A pledge row as the pledges module leaves it, without going through Checkout. */
export async function createTestPledge(input: {
  patronId: string;
  tier: Pick<Tier, 'id' | 'projectId' | 'monthlyAmount'>;
  currency?: string;
  status?: 'pending' | 'active' | 'past_due' | 'ended' | 'expired';
  checkoutExpiresAt?: Date | null;
}): Promise<{ id: string }> {
  return db
    .insertInto('pledges')
    .values({
      patron_id: input.patronId,
      project_id: input.tier.projectId,
      tier_id: input.tier.id,
      interval: 'month',
      amount: input.tier.monthlyAmount,
      currency: input.currency ?? 'eur',
      status: input.status ?? 'active',
      checkout_expires_at: input.checkoutExpiresAt ?? null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
}
