/**
 * A message's new simple reassignments placed and written in one statement
 * (src/worker/reassignments-ahead.ts) decide every template exactly as running them one by one
 * does: the same message is processed whole on one database and template by template (one
 * message each, so each its own statement) on a twin, and every template's outcome, handles,
 * errors and notes, and the nets and customers left behind, are the same. The mix holds what a
 * statement can refuse (a range outside every net, another account's net, a range taken by
 * someone else's customer), a resend answered with what the sender holds, a private customer,
 * POCs and a template refused as read between them.
 */
import { asc } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tables } from '../../src/db/index.ts';
import { storeSubmission } from '../../src/ingress/index.ts';
import { DEMO_API_KEY, DEMO_SEED, seedRegistry, validateSeed } from '../../src/registry/index.ts';
import { processSubmission } from '../../src/worker/index.ts';
import { templateText } from '../ops/support/traffic.ts';
import { simpleReassignment } from '../pipeline/support/forms.ts';
import { templateRows } from '../pipeline/support/outcomes.ts';
import { BACKENDS, openTestDatabase, type TestDatabase } from '../support/databases.ts';
import { recordStatements } from '../support/statement-recorder.ts';
import { quietWorkerContext } from '../support/worker-context.ts';

/** Sent first, alone, on both databases: what the message's resend and clash meet. */
const EARLIER = [
  simpleReassignment({ range: '198.51.100.128/28', name: 'EARLIER-A', customer: 'Earlier A Co' }),
  simpleReassignment({ range: '198.51.100.144/28', name: 'EARLIER-B', customer: 'Earlier B Co' }),
];

const MESSAGE = [
  templateText('reassign-v6', 1, 91),
  templateText('poc', 2, 91),
  // Another account's net: refused by the requester's authority over the parent.
  templateText('not-ours', 3, 91),
  simpleReassignment({
    range: '198.51.100.64/28',
    name: 'HOME-77',
    customer: 'Pat Quietbrook',
    privateResidence: true,
  }),
  // Outside every net registered with us.
  simpleReassignment({ range: '192.0.2.0/28', name: 'NOWHERE-1', customer: 'Nowhere Co' }),
  'Template: ARIN-REASSIGN-SIMPLE-5.3\n01. Registration Action (N,M, or R): N\n03. IP Address and Prefix or Range: not a range\nEND OF TEMPLATE',
  // The range of an earlier reassignment, for another customer: an overlap.
  simpleReassignment({ range: '198.51.100.128/28', name: 'CLASH-1', customer: 'Clash Co' }),
  // An earlier reassignment sent again as it was: answered with what the sender holds.
  EARLIER[1]!,
  templateText('reassign-v6', 9, 91),
  templateText('poc', 10, 91),
];

function mail(id: string, templates: readonly string[]): string {
  return [
    'From: Demo ISP billing <noc@demo-isp.example>',
    'To: hostmaster@localhost',
    `Subject: SWIP ${DEMO_API_KEY}`,
    `Message-ID: <${id}@demo-isp.example>`,
    'Date: Wed, 25 Nov 2026 10:00:00 +0000',
    '',
    templates.join('\n\n'),
    '',
  ].join('\r\n');
}

describe.each(BACKENDS)('simple reassignments placed together (%s)', (kind) => {
  let together: TestDatabase;
  let alone: TestDatabase;

  beforeAll(async () => {
    [together, alone] = await Promise.all([openTestDatabase(kind), openTestDatabase(kind)]);
    const doc = validateSeed(DEMO_SEED);
    if (!doc.ok) throw new Error('demo seed');
    for (const database of [together, alone]) {
      const seeded = await seedRegistry(database.db, doc.value);
      if (!seeded.ok) throw new Error(seeded.error.message);
    }
  });
  afterAll(async () => {
    await together?.close();
    await alone?.close();
  });

  let sent = 0;
  async function processMessage(database: TestDatabase, templates: readonly string[]) {
    const ctx = quietWorkerContext(database.db);
    const stored = await storeSubmission(database.db, {
      raw: Buffer.from(mail(`together-${kind}-${++sent}`, templates)),
      envelope: { mailFrom: 'noc@demo-isp.example', rcptTo: ['hostmaster@localhost'] },
      via: 'smtp',
      remoteAddress: '127.0.0.1',
    });
    if (!stored.ok) throw new Error(stored.error.message);
    await processSubmission(ctx, stored.value.id);
    return (await templateRows(database.db, stored.value.id)).map((r) => ({
      outcome: r.outcome,
      ticket: r.ticketNumber,
      handles: r.handles,
      errors: r.errors,
      notes: r.notes,
    }));
  }

  /** Every net and customer, but when they were written. */
  const registryOf = async (database: TestDatabase) => {
    const nets = await database.db.select().from(tables.nets).orderBy(asc(tables.nets.handle));
    const customers = await database.db.select().from(tables.customers).orderBy(asc(tables.customers.handle));
    return {
      nets: nets.map(({ createdAt: _c, updatedAt: _u, ...net }) => net),
      customers: customers.map(({ createdAt: _c, updatedAt: _u, ...customer }) => customer),
    };
  };

  it('answers every template and leaves the registry as running them one by one does, in one statement', async () => {
    for (const earlier of EARLIER) {
      await processMessage(together, [earlier]);
      await processMessage(alone, [earlier]);
    }
    const recorder = recordStatements();
    let whole: Awaited<ReturnType<typeof processMessage>>;
    let statements: string[];
    try {
      ({ result: whole, sent: statements } = await recorder.during(() => processMessage(together, MESSAGE)));
    } finally {
      recorder.restore();
    }
    const oneByOne = [];
    for (const template of MESSAGE) oneByOne.push(...(await processMessage(alone, [template])));

    expect(whole.map((r) => r.outcome)).toEqual([
      'approved',
      'approved',
      'rejected',
      'approved',
      'rejected',
      'rejected',
      'rejected',
      'approved',
      'approved',
      'approved',
    ]);
    expect(whole).toEqual(oneByOne);
    expect(await registryOf(together)).toEqual(await registryOf(alone));
    // PGlite does not go through pg: the statements are counted on PostgreSQL.
    if (kind === 'postgres') {
      // Six new simple reassignments, one statement (the one template by template sends one each).
      expect(statements.filter((s) => s.startsWith('WITH input AS'))).toHaveLength(1);
      expect(statements.filter((s) => s.startsWith('WITH placement AS'))).toHaveLength(0);
    }
  });
  it('two messages placing the same range for different customers at once: one gets it, the other is refused E_OVERLAP for it alone, nothing twice', async () => {
    const shared = simpleReassignment({
      range: '198.51.100.32/28',
      name: 'RACE-SHARED',
      customer: 'Race Co',
    });
    const first = [
      shared,
      simpleReassignment({ range: '198.51.100.0/28', name: 'RACE-A', customer: 'Race A Co' }),
    ];
    // The same range for another customer (the same data would be a resend, answered as held).
    const rival = simpleReassignment({
      range: '198.51.100.32/28',
      name: 'RACE-RIVAL',
      customer: 'Race Rival Co',
    });
    const second = [
      simpleReassignment({ range: '198.51.100.16/28', name: 'RACE-B', customer: 'Race B Co' }),
      rival,
    ];
    const [a, b] = await Promise.all([processMessage(together, first), processMessage(together, second)]);
    const outcomes = [...a, ...b].map((r) => r.outcome).sort();
    expect(outcomes).toEqual(['approved', 'approved', 'approved', 'rejected']);
    const refused = [...a, ...b].find((r) => r.outcome === 'rejected');
    expect(refused?.errors.map((e) => e.code)).toEqual(['E_OVERLAP']);
    const registry = await registryOf(together);
    const nets = registry.nets.filter((n) => n.name.startsWith('RACE-'));
    const winner = refused === b[1] ? 'RACE-SHARED' : 'RACE-RIVAL';
    expect(nets.map((n) => n.name).sort()).toEqual(['RACE-A', 'RACE-B', winner].sort());
    // The loser's customer went with its undone statement: one customer per net.
    const customers = registry.customers.filter((c) => c.name.startsWith('Race'));
    expect(customers.map((c) => c.handle).sort()).toEqual(nets.map((n) => n.customerHandle).sort());
  });
});
