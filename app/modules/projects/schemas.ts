import * as v from 'valibot';
import { SUPPORTED_CURRENCIES } from '#app/modules/ledger/currency.ts';

/** Form schemas for projects, shared by server (parseWithValibot) and browser (getValibotConstraint). */

// The database's own check (projects_slug_format) says the same: 1–60 characters, no dash at either end.
export const SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?$/;
export const PITCH_MAX = 140;
export const NAME_MAX = 80;
export const DESCRIPTION_MAX = 20_000;

// Paths under /@handle/ that pages of ours may want one day; a project called "new" would shadow them.
const RESERVED_SLUGS = new Set(['new', 'edit', 'settings', 'projects', 'tiers', 'campaigns', 'updates', 'feed', 'api', 'badge', 'pledge', 'patrons']);

const NameSchema = v.pipe(
  v.string('Name your project'),
  v.trim(),
  v.nonEmpty('Name your project'),
  v.maxLength(NAME_MAX, `A name has at most ${NAME_MAX} characters`),
);

export const SlugSchema = v.pipe(
  v.string('Choose the last part of the project’s address'),
  v.trim(),
  v.toLowerCase(),
  v.nonEmpty('Choose the last part of the project’s address'),
  v.maxLength(60, 'At most 60 characters'),
  v.regex(SLUG_PATTERN, 'Use lowercase letters, digits and dashes, not at the start or end'),
  v.check((slug) => !RESERVED_SLUGS.has(slug), 'That address is reserved, please pick another'),
);

const PitchSchema = v.pipe(
  v.string('Say in one line what the project is'),
  v.trim(),
  v.nonEmpty('Say in one line what the project is'),
  v.maxLength(PITCH_MAX, `A pitch has at most ${PITCH_MAX} characters`),
);

// conform turns an empty field into undefined, so optional text is `optional` and defaulted in a transform.
const DescriptionSchema = v.optional(
  v.pipe(v.string(), v.trim(), v.maxLength(DESCRIPTION_MAX, `A description has at most ${DESCRIPTION_MAX.toLocaleString('en')} characters`)),
);

const RepositoryUrlSchema = v.optional(
  v.pipe(
    v.string(),
    v.trim(),
    v.maxLength(300, 'A link has at most 300 characters'),
    v.url('Enter a full link starting with https://'),
    v.check((url) => /^https?:\/\//i.test(url), 'Only http:// and https:// links are allowed'),
  ),
);

export const CurrencySchema = v.picklist(SUPPORTED_CURRENCIES, 'Choose one of the listed currencies');

const fields = {
  name: NameSchema,
  slug: SlugSchema,
  pitch: PitchSchema,
  description: DescriptionSchema,
  repositoryUrl: RepositoryUrlSchema,
};

type OptionalText = { description?: string | undefined; repositoryUrl?: string | undefined };
const normalise = <T extends OptionalText>(input: T): Omit<T, keyof OptionalText> & { description: string; repositoryUrl: string | null } => ({
  ...input,
  description: input.description ?? '',
  repositoryUrl: input.repositoryUrl ?? null,
});

export const NewProjectSchema = v.pipe(v.strictObject({ ...fields, currency: CurrencySchema }), v.transform(normalise));
export type NewProjectInput = v.InferOutput<typeof NewProjectSchema>;

/**
 * Editing keeps the currency: every Stripe price of the project's tiers is in it, and patrons
 * are billed in it. The submit button sends `intent=save` (the edit page has other forms too).
 */
export const EditProjectSchema = v.pipe(v.strictObject({ intent: v.literal('save'), ...fields }), v.transform(({ intent: _intent, ...input }) => normalise(input)));
export type EditProjectInput = v.InferOutput<typeof EditProjectSchema>;
