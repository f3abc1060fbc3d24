/**
 * Where outbox mail goes: over SMTP to the configured relay (REPLY_SMTP_URL), or, on embedded
 * defaults, into `DATA_DIR/outbox/<message-id>.eml` files. Failures come back as values that say
 * whether trying again can help.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { ReplyTransport } from '../config/index.ts';
import { lazyPackage, redactApiKeys } from '../shared/index.ts';

/** Loaded when a transport is made, not when the room is imported (see shared's lazyPackage). */
const nodemailer = lazyPackage<typeof import('nodemailer')>('nodemailer');

export interface MailToDeliver {
  readonly messageId: string;
  readonly envelopeFrom: string;
  readonly recipients: readonly string[];
  readonly raw: string;
}

export type DeliveryOutcome =
  | { readonly ok: true; readonly detail: string }
  /** `permanent`: the receiving side refused for good (5xx); trying again cannot help. */
  | { readonly ok: false; readonly permanent: boolean; readonly error: string };

export interface MailDelivery {
  /** For logs: where mail goes (the URL without its password). */
  readonly description: string;
  deliver(mail: MailToDeliver): Promise<DeliveryOutcome>;
  close(): void;
}

/** `<S1.reply@host>` -> `S1.reply@host.eml`: one file per Message-ID, so a resend overwrites, never doubles. */
export function emlFileName(messageId: string): string {
  const bare = messageId.trim().replace(/^<|>$/g, '');
  return `${bare.replace(/[^A-Za-z0-9._@+-]/g, '_').replace(/^\.+/, '_') || 'message'}.eml`;
}

function folderDelivery(dir: string): MailDelivery {
  return {
    description: `folder ${dir}`,
    async deliver(mail) {
      const target = path.join(dir, emlFileName(mail.messageId));
      // Written aside and renamed: a reader never sees half a file, a crash leaves only a stray .tmp.
      const temporary = path.join(
        dir,
        `.${path.basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`,
      );
      try {
        await fs.mkdir(dir, { recursive: true });
        const handle = await fs.open(temporary, 'w', 0o640);
        try {
          await handle.writeFile(mail.raw, 'utf8');
          await handle.sync();
        } finally {
          await handle.close();
        }
        await fs.rename(temporary, target);
        return { ok: true, detail: target };
      } catch (error) {
        await fs.rm(temporary, { force: true }).catch(() => {});
        return { ok: false, permanent: false, error: `cannot write ${target}: ${(error as Error).message}` };
      }
    },
    close() {},
  };
}

function smtpError(error: unknown): { permanent: boolean; error: string } {
  const e = error as { message?: string; responseCode?: number; response?: string };
  const code = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  const text = e.response ?? e.message ?? String(error);
  return {
    permanent: code !== undefined && code >= 500 && code < 600,
    error: redactApiKeys(code !== undefined && !text.startsWith(String(code)) ? `${code} ${text}` : text),
  };
}

/** Parallel connections to the relay per sender (the outbox delivers a claimed batch at once). */
export const SMTP_POOL_CONNECTIONS = 4;

function smtpDelivery(url: string): MailDelivery {
  const transporter = nodemailer().createTransport({
    url,
    // Reuse connections: a fresh connection per mail cost ~100 ms on loopback (bench/results),
    // which capped replies at ~10/s; the pool sends a batch over a few open connections.
    pool: true,
    maxConnections: SMTP_POOL_CONNECTIONS,
    maxMessages: 1000,
    // A hung relay is given up on after these; meanwhile the sender renews its rows' lease, so
    // no other sender delivers them (only a sender that stopped renewing loses them).
    connectionTimeout: 30_000,
    greetingTimeout: 30_000,
    socketTimeout: 60_000,
  });
  return {
    description: `smtp ${url.replace(/(\/\/[^:/@]*:)[^@/]*@/, '$1***@')}`,
    async deliver(mail) {
      try {
        const info = await transporter.sendMail({
          // '' is the null sender, MAIL FROM:<>: bounces of automatic mail must not come back to us.
          envelope: { from: mail.envelopeFrom, to: [...mail.recipients] },
          raw: mail.raw,
        });
        return { ok: true, detail: String(info.response ?? '') };
      } catch (error) {
        return { ok: false, ...smtpError(error) };
      }
    },
    close() {
      transporter.close();
    },
  };
}

export function openMailDelivery(transport: ReplyTransport): MailDelivery {
  return transport.kind === 'folder' ? folderDelivery(transport.dir) : smtpDelivery(transport.url);
}
