import { db } from '#app/core/db.server.ts';
import { createUser, getPublicProfile, updateProfile } from '#app/modules/accounts/users.server.ts';

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

/** Creates the demo accounts that do not exist yet; running it twice changes nothing. */
export async function seedDemoData(log: (message: string) => void): Promise<void> {
  for (const demo of DEMO_USERS) {
    if (await getPublicProfile(db, demo.handle)) continue;
    const created = await createUser(db, demo, { welcomeEmail: false });
    if (!('id' in created)) throw new Error(`Seeding @${demo.handle}: ${created.message}`);
    await updateProfile(db, created.id, { displayName: demo.displayName, bio: demo.bio, links: demo.links.map((link) => ({ ...link })) });
    log(`Seeded demo account ${demo.email} (password: ${demo.password})`);
  }
}
