import type { Email } from '#app/core/email.server.ts';

export function welcomeEmail(user: { email: string; displayName: string; handle: string }, appUrl: string): Email {
  const profileUrl = `${appUrl}/@${user.handle}`;
  return {
    tag: 'welcome',
    to: user.email,
    subject: 'Welcome to Makerfund',
    text: [
      `Hi ${user.displayName},`,
      '',
      'Welcome to Makerfund, where open-source makers earn a living from many small streams.',
      '',
      `Your public page is ${profileUrl} — add a bio and links in your settings: ${appUrl}/settings/profile`,
      '',
      '— The Makerfund team',
    ].join('\n'),
  };
}
