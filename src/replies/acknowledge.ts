/**
 * The one short answer to a message that holds no template but answers mail we sent (a question
 * about a ticket, "I did NOT make this change!"): it was passed to staff, nothing was changed.
 * Machine-readable like every reply (docs/reply-format.md, "Answers to our mail"):
 *
 *   hostmasterd passed your message to registry staff: RECEIVED.
 *   Submission: S456
 *   Status: RECEIVED
 *   Ticket: 20261122-X0000041                  (one line per ticket it answers, none when unknown)
 *
 *   <prose>
 *   <footer>
 *
 * Headers as any reply, with `X-Hostmaster-Status: RECEIVED` and `X-Hostmaster-Ticket` (the
 * tickets, comma-separated). One mail whatever REPLY_STYLE says: there are no templates.
 */
import { redactApiKeys } from '../shared/index.ts';
import { type ComposeOptions, composeOtherReply, HEADER_STATUS, HEADER_TICKET } from './compose.ts';
import { oneLine } from './layout.ts';
import { fill } from './texts.ts';
import type { OutgoingMail, ReplyRequest } from './types.ts';

/** The status of an acknowledgement, in its header and its `Status:` line. */
export const RECEIVED_STATUS = 'RECEIVED';

export interface AcknowledgementRequest
  extends Pick<
    ReplyRequest,
    | 'submissionId'
    | 'originalMessageId'
    | 'originalReferences'
    | 'originalSubject'
    | 'to'
    | 'withoutOriginalText'
  > {
  /** The tickets the message answers, as the acknowledgement names them. */
  readonly tickets: readonly string[];
}

export function composeAcknowledgement(
  request: AcknowledgementRequest,
  options: ComposeOptions,
): OutgoingMail {
  const { texts } = options;
  const p = texts.phrases;
  const tickets = request.tickets.map(oneLine).filter(Boolean);
  const head = [
    fill(p['summary.received'], {}),
    `${p['label.submission']}: ${oneLine(request.submissionId)}`,
    `${p['label.status']}: ${RECEIVED_STATUS}`,
    ...tickets.map((t) => `${p['label.ticket']}: ${t}`),
  ];
  const body = redactApiKeys(
    [
      head.join('\n'),
      texts.prose.received,
      fill(texts.prose.footer, { submission: oneLine(request.submissionId) }),
    ].join('\n\n'),
  );
  return composeOtherReply({ ...request, templates: [] }, options, {
    body: `${body}\n`,
    headers: {
      [HEADER_STATUS]: RECEIVED_STATUS,
      ...(tickets.length > 0 ? { [HEADER_TICKET]: tickets.join(', ') } : {}),
    },
  });
}
