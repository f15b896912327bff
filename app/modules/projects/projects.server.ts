import type { Selectable } from 'kysely';
import Stripe from 'stripe';
import type { Executor } from '#app/core/db.server.ts';
import { logger } from '#app/core/logger.server.ts';
import type { SupportedCurrency } from '#app/modules/ledger/currency.ts';
import { stripe } from '#app/modules/payments/stripe.server.ts';
import type { Projects } from '#db/schema.ts';
import type { EditProjectInput, NewProjectInput } from './schemas.ts';

export type Project = Omit<Selectable<Projects>, 'currency'> & { currency: SupportedCurrency };
export type ProjectRef = { projectId: string; makerId: string };
export type SlugConflict = { field: 'slug'; message: string };

const SLUG_TAKEN: SlugConflict = { field: 'slug', message: 'You already have a project at this address; pick another' };
// Postgres rejects a malformed uuid with an error; an id from a URL that is not one simply matches nothing.
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (value: string | undefined | null): value is string => typeof value === 'string' && UUID.test(value);

const asProject = (row: Selectable<Projects>): Project => ({ ...row, currency: row.currency as SupportedCurrency });

/**
 * A maker's new project, then its Stripe product. The row comes first so the product can carry
 * our id (metadata and idempotency key); if Stripe is unreachable the project still exists and
 * the product is made when the first tier needs it (`ensureStripeProduct`).
 */
export async function createProject(db: Executor, makerId: string, input: NewProjectInput): Promise<Project | SlugConflict> {
  let row: Selectable<Projects>;
  try {
    row = await db
      .insertInto('projects')
      .values({
        maker_id: makerId,
        slug: input.slug,
        name: input.name,
        pitch: input.pitch,
        description_md: input.description,
        repository_url: input.repositoryUrl,
        currency: input.currency,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  } catch (error) {
    if ((error as { constraint?: string }).constraint === 'projects_maker_slug_key') return SLUG_TAKEN;
    throw error;
  }
  logger.info({ event: 'project.created', projectId: row.id, makerId }, 'project created');
  const project = asProject(row);
  try {
    return { ...project, stripe_product_id: await ensureStripeProduct(db, project) };
  } catch (error) {
    if (!(error instanceof Stripe.errors.StripeError)) throw error;
    logger.warn({ event: 'project.stripe_product_failed', projectId: row.id, err: error.message }, 'Stripe product not created yet; retried with the first tier');
    return project;
  }
}

/**
 * The project's Stripe product id, creating the product once. The idempotency key is derived
 * from the project id, so a retry after a lost response gets the same product back, not a second.
 */
export async function ensureStripeProduct(db: Executor, project: Pick<Project, 'id' | 'name' | 'stripe_product_id'>): Promise<string> {
  if (project.stripe_product_id) return project.stripe_product_id;
  const product = await stripe.products.create(
    { name: project.name, metadata: { project_id: project.id } },
    { idempotencyKey: `project-product-${project.id}` },
  );
  // Another request may have stored it first; the first stored id wins and is the same product.
  const stored = await db
    .updateTable('projects')
    .set({ stripe_product_id: product.id })
    .where('id', '=', project.id)
    .where('stripe_product_id', 'is', null)
    .returning('stripe_product_id')
    .executeTakeFirst();
  if (stored?.stripe_product_id) return stored.stripe_product_id;
  const current = await db.selectFrom('projects').select('stripe_product_id').where('id', '=', project.id).executeTakeFirstOrThrow();
  return current.stripe_product_id ?? product.id;
}

/** Ownership is in the query: another maker's project id finds nothing. */
export async function getProjectForMaker(db: Executor, ref: ProjectRef): Promise<Project | null> {
  if (!isUuid(ref.projectId)) return null;
  const row = await db.selectFrom('projects').selectAll().where('id', '=', ref.projectId).where('maker_id', '=', ref.makerId).executeTakeFirst();
  return row ? asProject(row) : null;
}

export async function updateProject(db: Executor, ref: ProjectRef, input: EditProjectInput): Promise<Project | SlugConflict | null> {
  if (!isUuid(ref.projectId)) return null;
  const before = await getProjectForMaker(db, ref);
  if (!before) return null;
  let row: Selectable<Projects> | undefined;
  try {
    row = await db
      .updateTable('projects')
      .set({
        name: input.name,
        slug: input.slug,
        pitch: input.pitch,
        description_md: input.description,
        repository_url: input.repositoryUrl,
        updated_at: new Date(),
      })
      .where('id', '=', ref.projectId)
      .where('maker_id', '=', ref.makerId)
      .returningAll()
      .executeTakeFirst();
  } catch (error) {
    if ((error as { constraint?: string }).constraint === 'projects_maker_slug_key') return SLUG_TAKEN;
    throw error;
  }
  if (!row) return null;
  // Checkout and receipts show the product's name; keep it in step. Our row is the truth, so a
  // failure here is logged rather than undoing the maker's edit.
  if (row.stripe_product_id && row.name !== before.name) {
    await stripe.products.update(row.stripe_product_id, { name: row.name }).catch((error: unknown) => {
      logger.warn({ event: 'project.stripe_product_rename_failed', projectId: row.id, err: (error as Error).message }, 'Stripe product name not updated');
    });
  }
  return asProject(row);
}

export type ProjectSummary = {
  id: string;
  slug: string;
  name: string;
  pitch: string;
  currency: SupportedCurrency;
  patronCount: number;
  tierCount: number;
  createdAt: Date;
};

/** A maker's projects, newest first, with their live patron and tier counts. */
export async function listProjectsForMaker(db: Executor, makerId: string): Promise<ProjectSummary[]> {
  const rows = await db
    .selectFrom('projects')
    .select((eb) => [
      'projects.id',
      'projects.slug',
      'projects.name',
      'projects.pitch',
      'projects.currency',
      'projects.created_at',
      eb
        .selectFrom('tiers')
        .select((inner) => inner.fn.countAll<number>().as('count'))
        .whereRef('tiers.project_id', '=', 'projects.id')
        .where('tiers.archived_at', 'is', null)
        .as('tier_count'),
    ])
    .where('maker_id', '=', makerId)
    .orderBy('created_at', 'desc')
    .orderBy('id')
    .execute();
  const patrons = await patronCounts(db, rows.map((row) => row.id));
  return rows.map((row) => ({
    id: row.id,
    slug: row.slug,
    name: row.name,
    pitch: row.pitch,
    currency: row.currency as SupportedCurrency,
    patronCount: patrons.get(row.id) ?? 0,
    tierCount: Number(row.tier_count ?? 0),
    createdAt: row.created_at,
  }));
}

/** Patrons per project: people with a live pledge (active, or past due while Stripe retries). */
export async function patronCounts(db: Executor, projectIds: readonly string[]): Promise<Map<string, number>> {
  if (projectIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('pledges')
    .select(['project_id', (eb) => eb.fn.count<number>('patron_id').distinct().as('patrons')])
    .where('project_id', 'in', projectIds)
    .where('status', 'in', ['active', 'past_due'])
    .groupBy('project_id')
    .execute();
  return new Map(rows.map((row) => [row.project_id, Number(row.patrons)]));
}

export type PublicProject = Project & { maker: { id: string; handle: string; displayName: string } };

/** The project at /@handle/slug; handle and slug are case-insensitive (citext) as typed in links. */
export async function getPublicProject(db: Executor, handle: string, slug: string): Promise<PublicProject | null> {
  const row = await db
    .selectFrom('projects')
    .innerJoin('users', 'users.id', 'projects.maker_id')
    .selectAll('projects')
    .select(['users.handle as maker_handle', 'users.display_name as maker_display_name'])
    .where('users.handle', '=', handle)
    .where('projects.slug', '=', slug)
    .executeTakeFirst();
  if (!row) return null;
  const { maker_handle, maker_display_name, ...project } = row;
  return { ...asProject(project), maker: { id: project.maker_id, handle: maker_handle, displayName: maker_display_name } };
}
