import { db } from '#app/core/db.server.ts';
import { createUser, getPublicProfile, updateProfile } from '#app/modules/accounts/users.server.ts';
import { createProject, listProjectsForMaker } from '#app/modules/projects/projects.server.ts';
import { createTier } from '#app/modules/tiers/tiers.server.ts';

/** Demo accounts for the local app. Their passwords are in the README; never run against production. */
export const DEMO_USERS = [
  {
    email: 'ada@makerfund.test',
    handle: 'ada',
    displayName: 'Ada Okafor',
    password: 'demo-password-ada',
    bio: 'I maintain tinyparse, a zero-dependency parser toolkit used by 40k projects.\nPatrons keep it fast, documented and boring in the best way.',
    links: [
      { label: 'GitHub', url: 'https://github.com/ada-okafor' },
      { label: 'Blog', url: 'https://ada.example.org' },
    ],
  },
  {
    email: 'pat@makerfund.test',
    handle: 'pat',
    displayName: 'Pat Rivera',
    password: 'demo-password-pat',
    bio: 'I back the libraries my team depends on.',
    links: [],
  },
] as const;

const DEMO_PROJECT = {
  name: 'tinyparse',
  slug: 'tinyparse',
  pitch: 'A zero-dependency parser toolkit: fast, documented, boring in the best way.',
  description: [
    '## Why tinyparse needs patrons',
    '',
    'tinyparse runs inside 40,000 projects. Patronage pays for security releases within a day,',
    'documentation that keeps up, and a **1.0 with a stable API**.',
    '',
    '- Monthly releases',
    '- A public roadmap',
  ].join('\n'),
  repositoryUrl: 'https://github.com/ada-okafor/tinyparse',
  currency: 'eur' as const,
};

const DEMO_TIERS = [
  { name: 'Supporter', monthlyAmount: 300, yearlyAmount: 3000, description: 'Keep the lights on.', benefits: ['Name in the README'], patronLimit: null },
  { name: 'Backer', monthlyAmount: 1000, yearlyAmount: 10000, description: 'Help ship 1.0.', benefits: ['Name in the README', 'Patron-only updates'], patronLimit: null },
  { name: 'Sponsor', monthlyAmount: 5000, yearlyAmount: null, description: 'For companies that depend on tinyparse.', benefits: ['Logo in the README', 'Priority issues'], patronLimit: 5 },
];

/** Creates the demo accounts that do not exist yet; running it twice changes nothing. */
export async function seedDemoData(log: (message: string) => void): Promise<void> {
  for (const demo of DEMO_USERS) {
    if (await getPublicProfile(db, demo.handle)) continue;
    const created = await createUser(db, demo, { welcomeEmail: false });
    if (!('id' in created)) throw new Error(`Seeding @${demo.handle}: ${created.message}`);
    await updateProfile(db, created.id, { displayName: demo.displayName, bio: demo.bio, links: demo.links.map((link) => ({ ...link })) });
    log(`Seeded demo account ${demo.email} (password: ${demo.password})`);
  }
  await seedDemoProject(log);
}

/** Ada's project and tiers, through the module code paths: real Stripe (sandbox) product and prices. */
async function seedDemoProject(log: (message: string) => void): Promise<void> {
  const ada = await getPublicProfile(db, 'ada');
  if (!ada) return;
  if ((await listProjectsForMaker(db, ada.id)).length > 0) return;
  const project = await createProject(db, ada.id, DEMO_PROJECT);
  if ('field' in project) throw new Error(`Seeding the demo project: ${project.message}`);
  for (const tier of DEMO_TIERS) {
    const created = await createTier(db, { projectId: project.id, makerId: ada.id }, tier);
    if (!created || 'formError' in created) throw new Error(`Seeding tier ${tier.name}: ${created ? created.formError : 'project not found'}`);
  }
  log(`Seeded demo project /@ada/${project.slug} with ${DEMO_TIERS.length} tiers`);
}
