/**
 * A ticket system that answers each of our mails with a new message: no In-Reply-To or
 * References, no Auto-Submitted, Precedence or X-Autoreply, our ticket number kept in its
 * Subject (`[Ticket#5556] Re: [Ticket#5555] Re: SWIP 20261207-X0000002 ...`). Its first answer
 * (to our reply) is a message for staff and is acknowledged; its answer to that acknowledgement
 * names the same ticket again and is acknowledged no more: the conversation ends after one
 * acknowledgement, in either reply style, instead of running until the per-recipient limit.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_API_KEY } from '../../src/registry/index.ts';
import { mail, type Stack, startStack } from '../support/stack.ts';
import { simpleReassignment } from './support/forms.ts';
import { caughtFor, outboxSettled, rejectionsOf, repliesFor, replyFor } from './support/outcomes.ts';
import { submit } from './support/session.ts';

/** The ticket system's answer (the fixture), under the Subject it wrote this round. */
function responderAnswer(subject: string, round: number): string {
  return fs
    .readFileSync(new URL('../fixtures/mail/ticket-system-answer.eml', import.meta.url), 'utf8')
    .replace(/^Subject: .*$/m, `Subject: ${subject}`)
    .replace(
      /^Message-ID: .*$/m,
      `Message-ID: <ticket-${5555 + round}.${Date.now()}@helpdesk.demo-isp.example>`,
    );
}

/** Our Subject shows the key redacted; the ticket system quotes it back as it got it. */
const REDACTED_KEY = /API-\*{4}-\*{4}-\*{4}-[0-9A-Z]{4}/;

/**
 * Plays the ticket system for up to `rounds` rounds, from its answer to our reply: each round
 * answers the mail we sent in the round before. Returns the status of each mail we sent back.
 */
async function converse(stack: Stack, firstSubject: string, rounds: number) {
  let subject = firstSubject;
  const statuses: string[] = [];
  const answers: string[] = [];
  for (let round = 0; round < rounds; round++) {
    const id = await stack.send(responderAnswer(subject, round));
    answers.push(id);
    await outboxSettled(stack.database.db, id);
    if (caughtFor(stack.sink, id).replies === 0) break;
    const ours = await replyFor(stack.sink, id);
    statuses.push(ours.parsed.status);
    subject = `[Ticket#${5556 + round}] ${ours.parsed.headers!.subject!.replace(REDACTED_KEY, DEMO_API_KEY)}`;
  }
  return { statuses, answers };
}

describe.each([
  ['digest', 1],
  ['per-template', 2],
] as const)(
  'a ticket system answering each of our mails unthreaded (pglite, REPLY_STYLE=%s)',
  (style, templates) => {
    let stack: Stack;

    beforeAll(async () => {
      stack = await startStack({ backend: 'pglite', env: { REPLY_STYLE: style } });
    });
    afterAll(async () => {
      await stack?.close();
    });

    it('gets one acknowledgement, and its answer to it ends the conversation', async () => {
      const { id } = await submit(
        stack,
        Array.from({ length: templates }, (_, i) =>
          simpleReassignment({ range: `198.51.100.${64 + 8 * i}/29`, name: `LOOP-${style}-${i + 1}` }),
        ),
      );
      const replies = await repliesFor(stack.sink, id, templates);
      const ticket = replies[0]!.parsed.blocks[0]!.ticket!;

      const { statuses, answers } = await converse(
        stack,
        `[Ticket#5555] Re: SWIP ${ticket} ${DEMO_API_KEY}`,
        4,
      );
      expect(statuses).toEqual(['RECEIVED']);
      expect(answers).toHaveLength(2);
      // Staff read both, the second saying why its sender heard nothing.
      const [first] = await rejectionsOf(stack.database.db, answers[0]!);
      const [second] = await rejectionsOf(stack.database.db, answers[1]!);
      expect(first).toMatchObject({ reasonCode: 'E_ANSWER_TO_OUR_MAIL' });
      expect(first!.reason).not.toContain('not answered');
      expect(second).toMatchObject({ reasonCode: 'E_ANSWER_TO_OUR_MAIL' });
      expect(second!.reason).toContain(ticket);
      expect(second!.reason).toContain(
        `not answered: noc@demo-isp.example already had our acknowledgement of an answer about ticket ${ticket}`,
      );
    });

    it('answering our refusal, which names no ticket, it keeps only our Subject: one acknowledgement, then nothing', async () => {
      const refused = await stack.send(
        mail({ subject: `Hello ${style} ${DEMO_API_KEY}`, body: 'I forgot the template.\n' }),
      );
      const refusal = await replyFor(stack.sink, refused);
      expect(refusal.parsed.refusal?.code).toBe('E_NO_TEMPLATE');
      const subject = refusal.parsed.headers!.subject!.replace(REDACTED_KEY, DEMO_API_KEY);

      const { statuses, answers } = await converse(stack, `[Ticket#5555] ${subject}`, 4);
      expect(statuses).toEqual(['RECEIVED']);
      expect(answers).toHaveLength(2);
      const [first] = await rejectionsOf(stack.database.db, answers[0]!);
      expect(first!.reason).toContain(`submission ${refused}`);
      expect(first!.reason).toContain('linked by subject-of-our-mail');
      const [second] = await rejectionsOf(stack.database.db, answers[1]!);
      expect(second!.reason).toContain('it answers our acknowledgement');
    });

    it('the same Subject sent again, the template forgotten twice, is refused again', async () => {
      const subject = `Forgot ${style} ${DEMO_API_KEY}`;
      const first = await stack.send(mail({ subject, body: 'No template here.\n' }));
      expect((await replyFor(stack.sink, first)).parsed.refusal?.code).toBe('E_NO_TEMPLATE');
      const again = await stack.send(mail({ subject, body: 'Still no template.\n' }));
      expect((await replyFor(stack.sink, again)).parsed.refusal?.code).toBe('E_NO_TEMPLATE');
    });

    it('an answer about a ticket it has not been acknowledged for yet is acknowledged', async () => {
      const { id } = await submit(stack, [
        simpleReassignment({ range: '198.51.100.160/29', name: `LOOP-${style}-NEXT` }),
      ]);
      const [reply] = await repliesFor(stack.sink, id, 1);
      const ticket = reply!.parsed.blocks[0]!.ticket!;
      const answer = await stack.send(
        mail({ subject: `Question about ${ticket} ${DEMO_API_KEY}`, body: 'Who is the customer?\n' }),
      );
      const ack = await replyFor(stack.sink, answer);
      expect(ack.parsed.status).toBe('RECEIVED');
      expect(ack.parsed.tickets).toEqual([ticket]);
    });
  },
);
