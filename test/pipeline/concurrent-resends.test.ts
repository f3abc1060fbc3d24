/**
 * Resends that arrive together, over real SMTP on both backends: a billing system whose reply was
 * late sends the same POC N again (a new Message-ID) while the first copy is still being
 * processed, on several connections at once. The resend rule must hold then too: one POC is
 * created, every other copy is answered APPROVED with `already registered as <that handle>,
 * nothing changed`, and the registry holds one POC. On PostgreSQL several workers run the copies
 * at the same moment; before the copies took turns, each could miss the others' uncommitted POC
 * and create one of its own (4 POCs for 4 copies in the review).
 *
 * The forms that place a net cannot be doubled (the sibling-overlap constraint refuses the
 * second), but the loser of that race was answered `E_OVERLAP ... at the same moment`, which a
 * billing system books as a failure of what is in fact registered for it: now it is run again
 * once the winner committed, and answered as a resend.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../src/db/index.ts';
import { DEMO_API_KEY } from '../../src/registry/index.ts';
import { BACKENDS } from '../support/databases.ts';
import { mail, type Stack, startStack } from '../support/stack.ts';
import { fillForm, simpleReassignment } from './support/forms.ts';
import { type Reply, replyFor } from './support/outcomes.ts';

const COPIES = 4;
const ROUNDS = 6;

/** A POC N as a billing system writes it; each round its own person. */
const pocOf = (lastName: string) =>
  fillForm('ARIN-POC-5.1', {
    '01': 'N',
    '03': 'P',
    '04': lastName,
    '05': 'John',
    '07': 'Demo ISP',
    '08': '1 Main St',
    '09': 'Springfield',
    '10': 'VA',
    '11': '22150',
    '12': 'US',
    '13': '+1-703-555-0100',
    '15': `${lastName.toLowerCase()}@demo-isp.example`,
  });

/** A Reassign-Detailed or Reallocate 5.4 to an org named by its ID. */
const toOrg = (form: string, range: string, name: string) =>
  fillForm(form, { '01': 'OTHERISP-1', '20': range, '21': name, '22': 'AS64500', '23': 'Sent twice' });

/** A 4.1 form that writes out the org it hands the space to and its POC. */
const writtenOut = (form: string, range: string, name: string) =>
  fillForm(form, {
    '02': `${name} Co`,
    '03': '5 Embedded Street',
    '04': 'Reston',
    '05': 'VA',
    '06': '20190',
    '07': 'US',
    '09': 'P',
    '10': 'Okafor',
    '11': 'Chidi',
    '12': `${name} Co`,
    '13': '5 Embedded Street',
    '14': 'Reston',
    '15': 'VA',
    '16': '20190',
    '17': 'US',
    '18': '+1-555-0150',
    '19': 'noc@embedded-resale.example',
    '20': range,
    '21': name,
  });

/** The copies of one template, each a message of its own, sent at once on connections of their own. */
async function sendAtOnce(stack: Stack, template: string, round: number): Promise<Reply[]> {
  const raws = Array.from({ length: COPIES }, (_, copy) =>
    mail({
      subject: `SWIP ${DEMO_API_KEY}`,
      messageId: `<race-${round}-${copy}-${Date.now()}@demo-isp.example>`,
      body: `${template}\n`,
    }),
  );
  const ids = await Promise.all(raws.map((raw) => stack.send(raw)));
  return Promise.all(ids.map((id) => replyFor(stack.sink, id)));
}

describe.each(BACKENDS)('the same POC N in several messages at once (%s)', (backend) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ backend, env: { WORKER_CONCURRENCY: String(COPIES) } });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it(`creates one POC and answers every other copy "already registered" with its handle (${ROUNDS} rounds of ${COPIES})`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const lastName = `Racer${'abcdefghij'[round]}`;
      const replies = await sendAtOnce(stack, pocOf(lastName), round);
      const blocks = replies.map((r) => r.parsed.blocks[0]!);
      for (const block of blocks) {
        expect(block.status).toBe('APPROVED');
        expect(block.errors).toEqual([]);
        expect(block.handles).toHaveLength(1);
      }
      const created = blocks.filter((b) => b.notes.some((n) => / created\.$/.test(n)));
      expect(created, `round ${round}: copies that created a POC`).toHaveLength(1);
      const handle = created[0]!.handles[0]!;
      const resent = blocks.filter((b) => b !== created[0]);
      for (const block of resent) {
        expect(block.handles).toEqual([handle]);
        expect(block.notes[0]).toMatch(new RegExp(`^already registered as ${handle}, nothing changed`));
      }
      const held = await queryRows<{ handle: string; accounts: string }>(
        stack.database.db,
        sql`SELECT p.handle, (SELECT count(*) FROM account_pocs a WHERE a.poc_handle = p.handle)::text AS accounts
            FROM pocs p WHERE p.last_name = ${lastName}`,
      );
      expect(held).toEqual([{ handle, accounts: '1' }]);
    }
  });
});

describe.each(BACKENDS)('the same ORG N in several messages at once (%s)', (backend) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ backend, env: { WORKER_CONCURRENCY: String(COPIES) } });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('creates one org and answers every other copy "already registered" with its handle', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const name = `Race Holdings ${round}`;
      const template = fillForm('ARIN-ORG-5.2', {
        '01': 'N',
        '03': name,
        '06': '9 Race Road',
        '07': 'Herndon',
        '08': 'VA',
        '09': '20170',
        '10': 'US',
        '11': 'DEMO1-ARIN',
        '12': 'DEMO1-ARIN',
      });
      const blocks = (await sendAtOnce(stack, template, round)).map((r) => r.parsed.blocks[0]!);
      for (const block of blocks) expect(block).toMatchObject({ status: 'APPROVED', errors: [] });
      const created = blocks.filter((b) => b.notes.some((n) => / created\.$/.test(n)));
      expect(created, `round ${round}: copies that created an org`).toHaveLength(1);
      const handle = created[0]!.handles[0]!;
      for (const block of blocks.filter((b) => b !== created[0])) {
        expect(block.handles).toEqual([handle]);
        expect(block.notes[0]).toMatch(new RegExp(`^already registered as ${handle}, nothing changed`));
      }
      const held = await queryRows<{ handle: string }>(
        stack.database.db,
        sql`SELECT handle FROM orgs WHERE name = ${name}`,
      );
      expect(held).toEqual([{ handle }]);
    }
  });
});

/** Every create form with a resend rule that places a net, one range a round. */
const NET_FORMS = [
  {
    what: 'Reassign-Simple',
    template: (round: number) =>
      simpleReassignment({
        range: `198.51.100.${128 + round * 8}/29`,
        name: `RACE-SIMPLE-${round}`,
        customer: `Race ${round} Inc`,
      }),
  },
  {
    what: 'Reassign-Detailed 5.4',
    template: (round: number) =>
      toOrg('ARIN-REASSIGN-DETAILED-5.4', `198.51.100.${round * 8}/29`, `RACE-DETAILED-${round}`),
  },
  {
    what: 'Reallocate 5.4',
    template: (round: number) =>
      toOrg('ARIN-REALLOCATE-5.4', `198.51.100.${64 + round * 8}/29`, `RACE-REALLOC-${round}`),
  },
  {
    what: 'Reassign-Detailed 4.1 writing out its org and POC',
    template: (round: number) =>
      writtenOut('ARIN-REASSIGN-DETAILED-4.1', `198.51.100.${192 + round * 8}/29`, `RACE-WRITTEN-${round}`),
  },
] as const;

describe.each(BACKENDS)('the same net in several messages at once (%s)', (backend) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ backend, env: { WORKER_CONCURRENCY: String(COPIES) } });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it.each(NET_FORMS)(
    '$what: one registration, every other copy "already registered" with its handles',
    async ({ template }) => {
      for (let round = 0; round < 4; round++) {
        const replies = await sendAtOnce(stack, template(round), round);
        const blocks = replies.map((r) => r.parsed.blocks[0]!);
        for (const block of blocks) {
          expect(block.errors, `round ${round}`).toEqual([]);
          expect(block.status).toBe('APPROVED');
        }
        const resent = blocks.filter((b) => b.notes.some((n) => n.startsWith('already registered as ')));
        expect(resent, `round ${round}: copies answered as resends`).toHaveLength(COPIES - 1);
        // The registration names what it created; a resend the net and its org (docs/reply-format.md).
        const first = blocks.find((b) => !resent.includes(b))!;
        const net = first.handles.find((h) => h.startsWith('NET'))!;
        for (const block of resent) {
          expect(block.notes[0]).toMatch(new RegExp(`^already registered as ${net}, nothing changed`));
          expect(block.handles).toContain(net);
          expect(block.handles).toEqual(resent[0]!.handles);
        }
      }
    },
  );
});
