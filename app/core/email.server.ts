import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import nodemailer, { type Transporter } from 'nodemailer';
import { env } from './env.server.ts';
import { logger } from './logger.server.ts';
import { singleton } from './singleton.server.ts';

export type Email = { to: string; subject: string; text: string; html?: string; tag: string };
export type OutboxEmail = Email & { id: string; from: string; sentAt: string };

export function outboxDir(dataDir: string = env().DATA_DIR): string {
  return path.join(dataDir, 'outbox');
}

const transport = singleton('email-transport', (): Transporter | null =>
  env().SMTP_URL ? nodemailer.createTransport(env().SMTP_URL) : null,
);

/**
 * Sends through SMTP when SMTP_URL is configured; otherwise writes the message
 * to the outbox under DATA_DIR, where /dev/outbox and the tests read it.
 */
export async function sendEmail(email: Email): Promise<void> {
  const from = env().EMAIL_FROM;
  if (transport) {
    await transport.sendMail({ from, to: email.to, subject: email.subject, text: email.text, html: email.html });
  } else {
    const message: OutboxEmail = { ...email, id: randomUUID(), from, sentAt: new Date().toISOString() };
    const dir = outboxDir();
    await fs.mkdir(dir, { recursive: true });
    const file = path.join(dir, `${message.sentAt.replace(/[:.]/g, '-')}-${message.id}.json`);
    await fs.writeFile(`${file}.tmp`, JSON.stringify(message, null, 2));
    await fs.rename(`${file}.tmp`, file);
  }
  logger.info({ event: 'email.sent', tag: email.tag, via: transport ? 'smtp' : 'outbox' }, 'email sent');
}

/** Newest first. */
export async function readOutbox(dir: string = outboxDir()): Promise<OutboxEmail[]> {
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  const messages = await Promise.all(
    names.filter((name) => name.endsWith('.json')).map(async (name) => JSON.parse(await fs.readFile(path.join(dir, name), 'utf8')) as OutboxEmail),
  );
  return messages.sort((a, b) => b.sentAt.localeCompare(a.sentAt));
}
