/**
 * A dry run: the sender wants to know what a message would do, without it doing anything. Asked
 * for by the word DRY-RUN in the Subject, by `X-Hostmaster-Dry-Run: yes`, or by writing to one of
 * the dry-run addresses (DRY_RUN_ADDRESS). Each way counts alone, and any of them wins over the
 * others: mail meant as a test must never change the registry because one mark of it was lost.
 */
import type Libmime from 'libmime';
import { lazyPackage } from '../shared/index.ts';
import { headerFields } from './headers.ts';

const libmime = lazyPackage<typeof Libmime>('libmime');

/**
 * `DRY-RUN`, `dry run`, `DRYRUN`, `[dry_run]`, `DRY- RUN` (folded), as a word of the Subject; any
 * dash a mail program may type (hyphens, en dash, minus, full-width) counts as the hyphen.
 */
const DRY_RUN_WORD = /(?:^|[^a-z0-9])dry[-_\s]*run(?:$|[^a-z0-9])/i;
const DASHES = /[\u2010-\u2015\u2212\uFE58\uFE63\uFF0D]/g;

/** The text without its dry-run words (a request for blank forms names no form DRY-RUN). */
export function withoutDryRunWords(text: string): string {
  return text.replace(DASHES, '-').replace(new RegExp(DRY_RUN_WORD.source, 'gi'), ' ');
}
/** The header's yes; any other value (no, false) asks for nothing. */
const YES = /^(?:yes|true|1|on)$/i;

export interface DryRunFacts {
  /** The message's header block (headerBlock of the raw message). */
  readonly head: Buffer | string;
  /** The envelope's recipients (RCPT TO). */
  readonly envelopeTo: readonly string[];
  /** The dry-run addresses, lower-cased. */
  readonly dryRunAddresses: readonly string[];
}

/** How the dry run was asked for, for staff; undefined: not a dry run. */
export function dryRunRequest(facts: DryRunFacts): string | undefined {
  const fields = headerFields(facts.head);
  // Every Subject field, as a reader sees it: mail programs encode the whole Subject (RFC 2047)
  // as soon as it holds one non-ASCII letter, and a second Subject may be the one shown.
  if ((fields.get('subject') ?? []).some((subject) => DRY_RUN_WORD.test(readable(subject))))
    return 'the Subject says DRY-RUN';
  if ((fields.get('x-hostmaster-dry-run') ?? []).some((value) => YES.test(value.trim())))
    return 'X-Hostmaster-Dry-Run: yes';
  if (facts.dryRunAddresses.length === 0) return undefined;
  const ours = new Set(facts.dryRunAddresses.map((a) => a.toLowerCase()));
  const envelope = envelopeDryRunAddress(facts.envelopeTo, facts.dryRunAddresses);
  if (envelope) return `sent to the dry-run address ${envelope}`;
  // A copy delivered to hostmaster@ whose To or Cc names the dry-run address was meant as one.
  const written = [...(fields.get('to') ?? []), ...(fields.get('cc') ?? [])]
    .flatMap((value) => value.match(/[^\s<>,;:"()]+@[^\s<>,;:"()]+/g) ?? [])
    .find((a) => ours.has(bare(a)));
  return written ? `addressed to the dry-run address ${bare(written)}` : undefined;
}

/** The dry-run address the envelope names (bare, lower-cased), if it names one. */
export function envelopeDryRunAddress(
  envelopeTo: readonly string[],
  dryRunAddresses: readonly string[],
): string | undefined {
  const ours = new Set(dryRunAddresses.map((a) => a.toLowerCase()));
  const named = envelopeTo.find((a) => ours.has(bare(a)));
  return named === undefined ? undefined : bare(named);
}

/** A Subject's encoded-words decoded (an undecodable one stays as written), dashes made plain. */
function readable(subject: string): string {
  let text = subject;
  try {
    text = libmime().decodeWords(subject);
  } catch {
    // As written: the raw text is still searched.
  }
  return `${subject} ${text}`.replace(DASHES, '-');
}

function bare(address: string): string {
  return address.trim().replace(/^<|>$/g, '').toLowerCase();
}
