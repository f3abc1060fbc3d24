/** Plain RFC 5322 messages as a customer's mail system would send them to hostmaster@. */
export interface MessageParts {
  readonly from?: string | readonly string[];
  readonly subject?: string;
  readonly body?: string;
  /** The To line's value (default `hostmaster@localhost`). */
  readonly to?: string;
  readonly cc?: string;
}

export const POC_TEMPLATE = [
  'Template: ARIN-POC-5.0',
  '** Registration Action (N,M, or R): M',
  '** Existing POC Handle: DEMO1-ARIN',
  '01. Contact Type (P or R): P',
  '02. Last Name or Role Account: Demo',
  '',
].join('\r\n');

export function message(parts: MessageParts = {}): Buffer {
  const froms = parts.from === undefined ? ['NOC <noc@demo-isp.example>'] : [parts.from].flat();
  const lines = [
    ...froms.map((f) => `From: ${f}`),
    `To: ${parts.to ?? 'hostmaster@localhost'}`,
    ...(parts.cc ? [`Cc: ${parts.cc}`] : []),
    `Subject: ${parts.subject ?? 'POC update'}`,
    'Message-ID: <20251125.1@demo-isp.example>',
    'Date: Tue, 25 Nov 2025 09:00:00 +0000',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=us-ascii',
    '',
    parts.body ?? POC_TEMPLATE,
  ];
  return Buffer.from(lines.join('\r\n'));
}
