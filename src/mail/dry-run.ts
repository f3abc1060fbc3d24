/**
 * A dry run: the sender wants to know what a message would do, without it doing anything. Asked
 * for by the word DRY-RUN in the Subject, by `X-Hostmaster-Dry-Run: yes`, or by writing to one of
 * the dry-run addresses (DRY_RUN_ADDRESS). Each way counts alone, and any of them wins over the
 * others: mail meant as a test must never change the registry because one mark of it was lost.
 */
import { headerFields } from './headers.ts';

/** `DRY-RUN`, `dry run`, `DRYRUN`, `[dry_run]`, as a word of the Subject. */
const DRY_RUN_WORD = /(?:^|[^a-z0-9])dry[-_ ]?run(?:$|[^a-z0-9])/i;
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
  const subject = fields.get('subject')?.[0] ?? '';
  if (DRY_RUN_WORD.test(subject)) return 'the Subject says DRY-RUN';
  if ((fields.get('x-hostmaster-dry-run') ?? []).some((value) => YES.test(value.trim())))
    return 'X-Hostmaster-Dry-Run: yes';
  if (facts.dryRunAddresses.length === 0) return undefined;
  const ours = new Set(facts.dryRunAddresses.map((a) => a.toLowerCase()));
  const envelope = facts.envelopeTo.find((a) => ours.has(bare(a)));
  if (envelope) return `sent to the dry-run address ${bare(envelope)}`;
  // A copy delivered to hostmaster@ whose To or Cc names the dry-run address was meant as one.
  const written = [...(fields.get('to') ?? []), ...(fields.get('cc') ?? [])]
    .flatMap((value) => value.match(/[^\s<>,;:"()]+@[^\s<>,;:"()]+/g) ?? [])
    .find((a) => ours.has(bare(a)));
  return written ? `addressed to the dry-run address ${bare(written)}` : undefined;
}

function bare(address: string): string {
  return address.trim().replace(/^<|>$/g, '').toLowerCase();
}
