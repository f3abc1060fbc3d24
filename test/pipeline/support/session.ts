/**
 * A customer's day against a running stack: write templates, mail them, read the answer.
 */
import { DEMO_API_KEY } from '../../../src/registry/index.ts';
import { dkimSignMessage } from '../../support/dkim.ts';
import { mail, type Stack } from '../../support/stack.ts';
import { type Reply, replyFor } from './outcomes.ts';

let counter = 0;

export interface Sent {
  readonly id: string;
  readonly reply: Reply;
}

/** Mails the templates from the demo ISP's NOC (key in the Subject unless told otherwise) and waits for the answer. */
export async function submit(
  stack: Stack,
  templates: readonly string[],
  options: {
    subject?: string;
    from?: string;
    headers?: Record<string, string>;
    envelopeFrom?: string;
    /** Sign the message with the test DKIM key of this domain (a verified From, without a key). */
    dkim?: string;
  } = {},
): Promise<Sent> {
  counter++;
  const body = `Hello hostmaster,\n\nPlease process the following.\n\n${templates.join('\n')}\nThanks,\nDemo ISP NOC\n`;
  const raw = mail({
    body,
    subject: options.subject ?? `SWIP batch ${counter} ${DEMO_API_KEY}`,
    messageId: `<t${Date.now()}.${counter}@demo-isp.example>`,
    ...(options.from ? { from: options.from } : {}),
    ...(options.headers ? { headers: options.headers } : {}),
  });
  const signed = options.dkim ? await dkimSignMessage(raw, options.dkim) : raw;
  const id = await stack.send(
    signed,
    options.envelopeFrom !== undefined ? { from: options.envelopeFrom } : {},
  );
  return { id, reply: await replyFor(stack.sink, id) };
}
