/**
 * The registry is not a relay for its customers: one account's templates and Reply-To may make
 * us mail at most STRANGER_LIMIT_PER_ACCOUNT_PER_HOUR distinct addresses outside its own an hour
 * (a new POC's e-mail, a changed POC address, a Reply-To). The rest is kept for staff as
 * undelivered mail; the templates still apply. Real SMTP in, the daemon's own worker and outbox,
 * what the relay took read from the sink.
 */
import { and, inArray, ne } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tables } from '../../src/db/index.ts';
import { DEMO_API_KEY } from '../../src/registry/index.ts';
import { mail, type Stack, startStack } from '../support/stack.ts';
import { personPoc } from './support/forms.ts';
import { submit } from './support/session.ts';

const LIMIT = 5;

/** Waits until no outbox row of these submissions is still to be sent. */
async function settled(stack: Stack, ids: readonly string[]): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const pending = await stack.database.db
      .select({ id: tables.outbox.id })
      .from(tables.outbox)
      .where(
        and(
          inArray(tables.outbox.submissionId, [...ids]),
          ne(tables.outbox.state, 'sent'),
          ne(tables.outbox.state, 'failed'),
        ),
      );
    if (pending.length === 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('outbox rows still pending after a minute');
}

describe('mail to addresses outside the account (postgres, real SMTP)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      backend: 'postgres',
      env: { STRANGER_LIMIT_PER_ACCOUNT_PER_HOUR: String(LIMIT) },
    });
  });
  afterAll(async () => {
    await stack?.close();
  });

  const strangersMailed = () =>
    new Set(
      stack.sink.accepted
        .flatMap((m) => m.rcptTo.map((r) => r.toLowerCase()))
        .filter((r) => r.endsWith('.victim.example')),
    );

  it("POC N with strangers' addresses: every template applied, only LIMIT strangers mailed, the rest kept for staff, and the reply says which", async () => {
    const ids: string[] = [];
    const heldNotes: string[][] = [];
    for (let j = 0; j < 3; j++) {
      const templates = Array.from({ length: 4 }, (_, i) =>
        personPoc(`Cheap Pills ${j}${i}`, 'Visit', `v${j}x${i}@d${j}.victim.example`),
      );
      const { id, reply } = await submit(stack, templates);
      expect(reply.parsed.blocks.map((b) => b.status)).toEqual([
        'APPROVED',
        'APPROVED',
        'APPROVED',
        'APPROVED',
      ]);
      heldNotes.push(
        reply.parsed.blocks.flatMap((b) => b.notes.filter((n) => /held for hostmaster staff/.test(n))),
      );
      ids.push(id);
      // Each held notice is named in its own template's block, with the POC it was about.
      for (const block of reply.parsed.blocks) {
        const [poc] = block.handles;
        for (const note of block.notes.filter((n) => /held for hostmaster staff/.test(n)))
          expect(note).toBe(
            `the notice of this change to POC ${poc} was not sent to its contacts but held for hostmaster staff, who may send it: the requesting account's mail already went to ${LIMIT} addresses outside its own in the last hour (STRANGER_LIMIT_PER_ACCOUNT_PER_HOUR)`,
          );
      }
    }
    // 4 mailed, then 1 more and 3 held, then all 4 held: each reply names exactly those held.
    expect(heldNotes.map((n) => n.length)).toEqual([0, 3, 4]);
    await settled(stack, ids);
    expect(strangersMailed().size).toBe(LIMIT);
    const held = await stack.database.db
      .select()
      .from(tables.outbox)
      .where(and(inArray(tables.outbox.submissionId, ids), ne(tables.outbox.state, 'sent')));
    expect(held.flatMap((r) => r.recipients)).toHaveLength(12 - LIMIT);
    for (const row of held) {
      expect(row.state).toBe('failed');
      expect(row.lastError).toMatch(/STRANGER_LIMIT_PER_ACCOUNT_PER_HOUR/);
    }
  });

  it("still mails the account's own address, and a stranger already mailed this hour", async () => {
    const { id } = await submit(stack, [
      personPoc('Own', 'Noc', 'noc@demo-isp.example'),
      personPoc('Again', 'Visit', 'v0x0@d0.victim.example'),
    ]);
    await settled(stack, [id]);
    const rows = await stack.database.db
      .select()
      .from(tables.outbox)
      .where(inArray(tables.outbox.submissionId, [id]));
    expect(rows.filter((r) => r.state === 'failed')).toEqual([]);
  });

  it('a keyed message whose Reply-To is a stranger: the reply is kept for staff once the bound is reached', async () => {
    const raw = mail({
      subject: `forms ${DEMO_API_KEY} CHEAP PILLS http://spam.example`,
      body: 'Please send the forms.\n',
      headers: { 'Reply-To': 'someone@d9.victim.example' },
    });
    const id = await stack.send(raw);
    await stack.processed(id, 60_000);
    await settled(stack, [id]);
    const rows = await stack.database.db
      .select()
      .from(tables.outbox)
      .where(inArray(tables.outbox.submissionId, [id]));
    expect(rows.map((r) => [r.state, r.recipients])).toEqual([['failed', ['someone@d9.victim.example']]]);
    expect(strangersMailed().has('someone@d9.victim.example')).toBe(false);
  });
});
