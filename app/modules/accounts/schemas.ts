import * as v from 'valibot';

/** Form schemas shared by server (parseWithValibot) and browser (getValibotConstraint). */

export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 256;
export const HANDLE_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,37}[a-z0-9])?$/;

// Handles share the URL space with our own pages (/@handle), so these are never anyone's.
const RESERVED_HANDLES = new Set([
  'admin', 'api', 'about', 'account', 'assets', 'dev', 'healthz', 'help', 'login', 'logout', 'makerfund',
  'me', 'new', 'patron', 'patrons', 'pricing', 'privacy', 'root', 'security', 'settings', 'signup', 'staff',
  'studio', 'support', 'terms', 'webhooks', 'www',
]);

// A short list of passwords that appear first in every breach corpus.
const COMMON_PASSWORDS = new Set([
  'password', 'password1', 'password123', '12345678', '123456789', '1234567890', 'qwertyui', 'qwerty123',
  'iloveyou', 'abcdefgh', 'abc12345', '11111111', '00000000', 'letmein1', 'welcome1', 'sunshine', 'football',
  'baseball', 'princess', 'makerfund', 'passw0rd', 'trustno1', '87654321', 'superman', 'whatever',
]);

export const EmailSchema = v.pipe(
  v.string('Enter your email address'),
  v.trim(),
  v.nonEmpty('Enter your email address'),
  v.maxLength(254, 'An email address has at most 254 characters'),
  v.email('Enter an email address like name@example.com'),
);

export const HandleSchema = v.pipe(
  v.string('Choose a handle'),
  v.trim(),
  v.toLowerCase(),
  v.nonEmpty('Choose a handle'),
  v.maxLength(39, 'A handle has at most 39 characters'),
  v.regex(HANDLE_PATTERN, 'Use letters, digits and single dashes, not at the start or end'),
  v.check((handle) => !RESERVED_HANDLES.has(handle), 'That handle is reserved, please pick another'),
);

export const DisplayNameSchema = v.pipe(
  v.string('Enter your name'),
  v.trim(),
  v.nonEmpty('Enter your name'),
  v.maxLength(60, 'A name has at most 60 characters'),
);

export const NewPasswordSchema = v.pipe(
  v.string('Choose a password'),
  v.minLength(PASSWORD_MIN, `Use at least ${PASSWORD_MIN} characters`),
  v.maxLength(PASSWORD_MAX, `Use at most ${PASSWORD_MAX} characters`),
  v.check((password) => !COMMON_PASSWORDS.has(password.toLowerCase()), 'This password is too common; pick something harder to guess'),
  v.check((password) => new Set(password).size > 2, 'This password is too easy to guess; pick something less repetitive'),
);

export const SignupSchema = v.pipe(
  v.strictObject({
    email: EmailSchema,
    displayName: DisplayNameSchema,
    handle: HandleSchema,
    password: NewPasswordSchema,
  }),
  v.forward(
    v.check((input) => !input.password.toLowerCase().includes(input.handle), 'Your password must not contain your handle'),
    ['password'],
  ),
);
export type SignupInput = v.InferOutput<typeof SignupSchema>;

export const LoginSchema = v.strictObject({
  email: EmailSchema,
  password: v.pipe(v.string('Enter your password'), v.nonEmpty('Enter your password'), v.maxLength(PASSWORD_MAX, `Use at most ${PASSWORD_MAX} characters`)),
  redirectTo: v.optional(v.string()),
});
export type LoginInput = v.InferOutput<typeof LoginSchema>;

const LinkSchema = v.strictObject({
  label: v.optional(v.pipe(v.string(), v.trim(), v.maxLength(40, 'A label has at most 40 characters'))),
  url: v.optional(
    v.pipe(
      v.string(),
      v.trim(),
      v.maxLength(300, 'A link has at most 300 characters'),
      v.url('Enter a full link starting with https://'),
      v.check((url) => /^https?:\/\//i.test(url), 'Only http:// and https:// links are allowed'),
    ),
  ),
});

export const MAX_LINKS = 5;

export const ProfileSchema = v.pipe(
  v.strictObject({
    displayName: DisplayNameSchema,
    // No '' default here (see the transform below): conform turns an empty field into undefined and
    // strips such a default again, so clearing the bio failed with "Expected string but received undefined".
    bio: v.optional(v.pipe(v.string(), v.trim(), v.maxLength(2000, 'A bio has at most 2000 characters'))),
    links: v.pipe(
      v.optional(v.array(LinkSchema), []),
      v.maxLength(MAX_LINKS, `At most ${MAX_LINKS} links`),
      v.check((links) => links.every((link) => !link.label || link.url), 'Every labelled link needs a URL'),
      v.transform((links) => links.filter((link) => link.url).map((link) => ({ label: link.label || null, url: link.url as string }))),
    ),
  }),
  v.transform((profile) => ({ ...profile, bio: profile.bio ?? '' })),
);
export type ProfileInput = v.InferOutput<typeof ProfileSchema>;
export type ProfileLink = { label: string | null; url: string };
