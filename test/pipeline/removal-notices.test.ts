/**
 * The org holding a net hears when the net is removed, as it heard when the net was delegated to
 * it: an upstream may take back what it reassigned (README "Authorization"), and the holder's
 * registration must not vanish from WHOIS without a word. Over SMTP to the whole daemon.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/databases.ts';
import { type Stack, startStack } from '../support/stack.ts';
import { fillForm } from './support/forms.ts';
import { noticesFor, quietFor } from './support/outcomes.ts';
import { submit } from './support/session.ts';

const RANGE = '198.51.100.32/28';
const NAME = 'OTHER-TAKEN-BACK';

describe.each(BACKENDS)('notices on removal (%s)', (backend) => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ backend });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it("an upstream's Net-Mod R of a net reassigned to another org notifies that org's contacts", async () => {
    const delegated = await submit(stack, [
      fillForm('ARIN-REASSIGN-DETAILED-5.4', { '01': 'OTHERISP-1', '20': RANGE, '21': NAME }),
    ]);
    expect(delegated.reply.parsed.blocks[0]?.status).toBe('APPROVED');
    const [toldDelegated] = await noticesFor(stack.sink, delegated.id);
    expect(toldDelegated!.subject).toContain('OTHERISP-1');

    const removed = await submit(stack, [
      fillForm('ARIN-NET-MOD-5.3', { '01': 'R', '02': RANGE, '03': NAME }),
    ]);
    expect(removed.reply.parsed.blocks[0]?.status).toBe('APPROVED');
    const notices = await noticesFor(stack.sink, removed.id);
    expect(notices).toHaveLength(1);
    const [toldRemoved] = notices;
    expect([...toldRemoved!.to].sort()).toEqual([...toldDelegated!.to].sort());
    expect(toldRemoved!.subject).toContain('OTHERISP-1');
    expect(toldRemoved!.text).toContain(removed.reply.parsed.blocks[0]!.ticket!);
    expect(toldRemoved!.text).toMatch(/removed/);
    await quietFor(stack.sink, removed.id);
  });
});
