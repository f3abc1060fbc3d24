/** The headers that matter, read from a message's reading (reading.ts); and the header block's reply facts. */

import { messageIdsIn } from '../shared/index.ts';
import { headerFieldLines, unfoldedValue } from './header-block.ts';
import type { AddressList, HeaderReading } from './reading.ts';
import type { MailAddress, MailHeaders } from './types.ts';

function addresses(value: AddressList | readonly AddressList[] | undefined): MailAddress[] {
  const objects: readonly AddressList[] =
    value === undefined ? [] : 'value' in value ? [value] : (value as readonly AddressList[]);
  const out: MailAddress[] = [];
  for (const obj of objects) {
    for (const entry of obj.value) {
      const members = entry.group ?? [entry];
      for (const m of members)
        if (m.address) out.push({ address: m.address.toLowerCase(), name: m.name ?? '' });
    }
  }
  return out;
}

/** Raw, unfolded header values by lower-case name, in order: safer than typed values for odd headers. */
function rawHeaders(parsed: HeaderReading): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const { key, line } of parsed.headerLines) {
    const colon = line.indexOf(':');
    const value = (colon >= 0 ? line.slice(colon + 1) : '').replace(/\r?\n[ \t]+/g, ' ').trim();
    const list = map.get(key) ?? [];
    list.push(value);
    map.set(key, list);
  }
  return map;
}

const firstOf = (raw: Map<string, string[]>, name: string) => raw.get(name)?.[0];

export function readMailHeaders(parsed: HeaderReading): MailHeaders {
  const raw = rawHeaders(parsed);
  const from = addresses(parsed.from)[0];
  const replyTo = addresses(parsed.replyTo)[0];
  const lower = (v: string | undefined) => v?.toLowerCase();
  // mailparser puts "now" in place of a missing or unreadable Date: that would be a lie here.
  const rawDate = firstOf(raw, 'date');
  const date = rawDate !== undefined && !Number.isNaN(Date.parse(rawDate)) ? parsed.date : undefined;
  // Threading fields are read from the fields as written: both readers split them at spaces
  // (as mailparser does), which makes `<a b@x>` two ids, one of them `<b@x>` (shared's message-ids.ts).
  const references = (raw.get('references') ?? []).flatMap(messageIdsIn);
  const inReplyTo = (raw.get('in-reply-to') ?? []).flatMap(messageIdsIn)[0];
  const headers: MailHeaders = {
    to: addresses(parsed.to),
    cc: addresses(parsed.cc),
    subject: parsed.subject ?? '',
    references,
    contentType: lower(firstOf(raw, 'content-type')?.split(';')[0]?.trim()) ?? 'text/plain',
    ...(from ? { from } : {}),
    ...(replyTo ? { replyTo } : {}),
    ...(parsed.messageId ? { messageId: parsed.messageId } : {}),
    ...(date ? { date } : {}),
    ...(inReplyTo ? { inReplyTo } : {}),
  };
  return headers;
}

/**
 * The fields of a header block (everything above the first empty line), unfolded, by lower-case
 * name, in order. A plain parse, no MIME: it reads the head of a message whose body mailparser
 * cannot (too many parts, broken boundaries), so whom to answer is still decided on its headers.
 */
export function headerFields(head: Buffer | string): Map<string, string[]> {
  const fields = new Map<string, string[]>();
  for (const field of headerFieldLines(typeof head === 'string' ? head : head.toString('utf8'))) {
    if (field.name === undefined) continue;
    const name = field.name.toLowerCase();
    const values = fields.get(name) ?? [];
    values.push(unfoldedValue(field));
    fields.set(name, values);
  }
  return fields;
}

/**
 * What decides whether a message may be answered (RFC 3834), as written in its header block
 * (see headerFields); the names are the reply rules' facts (src/replies/loop-rules.ts). Every
 * Reply-To field is kept (joined by ', '), every List-* field named, and both loop marks read:
 * X-Loop, and X-Hostmaster-Status, which only our own replies carry.
 */
/** Fields vacation programs put on their automatic replies (loop-rules.ts reads them). */
const AUTO_REPLY_FIELDS = ['x-autoreply', 'x-autorespond'] as const;

export function readReplyHeaders(head: Buffer | string) {
  const fields = headerFields(head);
  const first = (name: string) => fields.get(name)?.[0];
  const replyTo = fields.get('reply-to')?.join(', ');
  // Auto-responders that write no Auto-Submitted mark their mail with these instead.
  const autoReplyMarks = AUTO_REPLY_FIELDS.flatMap((name) =>
    (fields.get(name) ?? []).map((value) => ({ name, value })),
  );
  const [from, returnPath, autoSubmitted, precedence, listId, hostmasterStatus, contentType, subject] = [
    'from',
    'return-path',
    'auto-submitted',
    'precedence',
    'list-id',
    'x-hostmaster-status',
    'content-type',
    'subject',
  ].map(first);
  return {
    ...(from !== undefined ? { from } : {}),
    ...(replyTo !== undefined ? { replyTo } : {}),
    ...(returnPath !== undefined ? { returnPath } : {}),
    ...(autoSubmitted !== undefined ? { autoSubmitted } : {}),
    ...(precedence !== undefined ? { precedence } : {}),
    ...(listId !== undefined ? { listId } : {}),
    // `list-unsubscribe` -> `List-Unsubscribe`, as staff know the field.
    listFields: [...fields.keys()]
      .filter((name) => name.startsWith('list-'))
      .map((name) => name.replace(/(^|-)([a-z])/g, (_, dash: string, c: string) => dash + c.toUpperCase())),
    xLoop: fields.get('x-loop') ?? [],
    ...(autoReplyMarks.length > 0 ? { autoReplyMarks } : {}),
    ...(hostmasterStatus !== undefined ? { hostmasterStatus } : {}),
    ...(contentType !== undefined ? { contentType } : {}),
    ...(subject !== undefined ? { subject } : {}),
  };
}

export type ReplyHeaders = ReturnType<typeof readReplyHeaders>;
