/**
 * `hostmasterd lint FILE...`: what the daemon would make of mail files (.eml) or plain template
 * text, offline, so a billing system can check its output before sending. Exit 0 when every
 * template of every file parses, 1 otherwise (or when a file cannot be read), 2 without files.
 * API keys are only ever shown redacted.
 *
 * `--against-registry`: also a dry run against the local database (DATABASE_URL, or the PGlite
 * under DATA_DIR while no daemon holds it): the requester found by the key (or, without one, the
 * account of the From address, taken at its word: lint asks no DNS), every template through the
 * registry's rules in a transaction that is rolled back, and the Status each would get. Exit 1
 * also when one would be REJECTED.
 */
import { readFile } from 'node:fs/promises';
import type { Config } from '../config/index.ts';
import type { DatabaseHandle } from '../db/index.ts';
import { formatRange } from '../ip/index.ts';
import { extractMail, headerBlock, headerFieldLines, namedOfOurs, readReplyHeaders } from '../mail/index.ts';
import { shouldReply } from '../replies/index.ts';
import { formatProblem, ProblemError, redactApiKeys, redactKey } from '../shared/index.ts';
import {
  type DownstreamOrg,
  type ForwardedText,
  findApiKeys,
  type ParsedTemplate,
  type PocReference,
  parseSubmission,
  type TemplateRequest,
  type TextPart,
  type UnreadPart,
} from '../templates/index.ts';
// The registry's dry run loads the database, authorization and the worker only when asked for
// (--against-registry): a plain lint reads one file and loads nothing that stores or serves.
import type { TemplateResult } from '../worker/index.ts';
import { embeddedDatabaseExists } from './start-first-time.ts';

interface LintIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  /** Read for the file name `-` (e.g. `billing-export | hostmasterd lint -`). */
  readonly stdin?: NodeJS.ReadableStream;
  /** Where the local database is, for `--against-registry`. */
  readonly config?: Config;
}

/** The flag that asks for a dry run against the local database. */
export const AGAINST_REGISTRY = '--against-registry';

/** What `--against-registry` tries the parsed templates against. */
type RegistryTry = (
  parsed: { readonly templates: readonly ParsedTemplate[]; readonly apiKey: string | undefined },
  from: string | undefined,
) => Promise<{ readonly lines: string[]; readonly good: boolean }>;

const STATUS: Record<TemplateResult['outcome'], string> = {
  approved: 'APPROVED',
  rejected: 'REJECTED',
  pending_review: 'PENDING_REVIEW',
};

/** The dry run of a file's templates against the database (see the head of this file). */
function registryTry(handle: DatabaseHandle): RegistryTry {
  return async (parsed, from) => {
    const lines: string[] = [];
    // Without a key, the daemon trusts the From address only as far as DKIM or SPF verify it,
    // which lint cannot ask: it takes the address at its word, and says so.
    const { identifyRequester, SENDER_NOT_CHECKED } = await import('../auth/index.ts');
    const { tryTemplates } = await import('../worker/index.ts');
    const requester = await identifyRequester(handle.db, {
      apiKeys: parsed.apiKey ? [parsed.apiKey] : [],
      ...(from ? { fromAddress: from } : {}),
      senderVerdict: SENDER_NOT_CHECKED,
      mode: 'any',
    });
    if (!requester.ok) {
      lines.push(`  against the registry: nobody to authorize it: ${formatProblem(requester.error)}`);
      return { lines, good: false };
    }
    lines.push(
      `  against the registry (dry run, rolled back): requester ${redactApiKeys(requester.value.display)}${parsed.apiKey ? '' : ' (the From address taken at its word: the daemon needs DKIM or SPF to verify it)'}`,
    );
    const results = await tryTemplates(handle.db, parsed.templates, requester.value, from);
    for (const r of results) {
      lines.push(`  Template ${r.index}: would be ${STATUS[r.outcome]}`);
      for (const p of r.errors) lines.push(`    Error: ${redactApiKeys(formatProblem(p))}`);
      for (const note of r.notes) lines.push(`    Note: ${redactApiKeys(note)}`);
    }
    return { lines, good: results.every((r) => r.outcome !== 'rejected') };
  };
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}

/** A mail file starts with header lines (`Name: value`, folded lines) and names a mail header we know. */
export function looksLikeMail(text: string): boolean {
  const fields = headerFieldLines(text);
  const allHeaders = fields.every(
    (f) => /^[\x21-\x39\x3b-\x7e]+:/.test(f.lines) || /^[ \t]/.test(f.lines) || f.lines === '\r',
  );
  return (
    fields.length > 0 &&
    allHeaders &&
    /^(from|subject|message-id|mime-version|content-type|received|return-path|date):/im.test(
      headerBlock(text),
    )
  );
}

const asList = (n: readonly number[]) => (n.length ? n.map((a) => `AS${a}`).join(' ') : 'none');
const poc = (p: PocReference) =>
  'handle' in p ? p.handle : `new ${p.create.contactType} POC "${p.create.lastName}"`;
const org = (o: DownstreamOrg) =>
  'handle' in o ? o.handle : `new org "${o.create.name}" (POC ${poc(o.create.poc)})`;
const changed = (changes: object) =>
  Object.entries(changes)
    .map(([k, v]) => (v === null ? `${k} cleared` : k))
    .join(', ');

/** One line with the fields a human checks first. */
export function describeRequest(r: TemplateRequest): string {
  switch (r.kind) {
    case 'poc.create':
      return `${r.contactType} "${[r.firstName, r.lastName].filter(Boolean).join(' ')}", ${r.address.city} ${r.address.country}, e-mail ${r.emails.join(' ')}`;
    case 'poc.modify': {
      const { contactType, ...changes } = r.changes;
      const type = contactType ? ` (contact type ${contactType} as sent; a POC's type never changes)` : '';
      return `${r.handle}: ${changed(changes)}${type}`;
    }
    case 'org.modify':
      return `${r.handle}: ${changed(r.changes)}`;
    case 'poc.remove':
    case 'org.remove':
      return r.handle;
    case 'org.create':
      return `"${r.legalName}", ${r.address.city} ${r.address.country}, admin ${r.adminPoc}, tech ${r.techPocs.join(' ')}`;
    case 'reassign-simple.create':
      return `${formatRange(r.range)} to "${r.customer.name}"${r.customer.privateResidence ? ' (private residence)' : ''}, ${r.customer.address.city} ${r.customer.address.country}, net ${r.networkName ?? '(generated)'}, origin ${asList(r.originAs)}`;
    case 'reassign-simple.modify':
    case 'net.modify':
      return `${formatRange(r.range)}: ${changed(r.changes)}`;
    case 'reassign-simple.remove':
    case 'net.remove':
      return formatRange(r.range);
    case 'reassign-detailed':
    case 'reallocate':
      return `${formatRange(r.range)} to ${org(r.downstreamOrg)}, net ${r.networkName}, origin ${asList(r.originAs)}${r.netPocs.length ? `, net POCs ${r.netPocs.map((p) => `${p.role} ${poc(p.poc)}`).join(', ')}` : ''}`;
  }
}

function describeTemplate(t: ParsedTemplate, count: number): string[] {
  const where = t.endLine ? `lines ${t.headerLine}-${t.endLine}` : `line ${t.headerLine}`;
  const lines = [`  Template ${t.index} of ${count}: ${t.formAsWritten || '(no name)'} (${where})`];
  if (t.apiKey) lines.push(`    API key: ${redactKey(t.apiKey)}`);
  if (t.result.ok) lines.push(`    OK ${t.result.value.kind}: ${describeRequest(t.result.value)}`);
  else {
    lines.push('    (error lines count from its Template: line, as the reply numbers them)');
    for (const p of t.result.error) lines.push(`    ${formatProblem(p)}`);
  }
  // The same sentences the daemon's reply gives on its `Note:` lines.
  for (const note of t.notes) lines.push(`    Note: ${note}`);
  return lines;
}

/**
 * Whom the worker would answer (src/worker/whom-to-answer.ts), as far as lint can tell offline:
 * it checks no key against the registry and asks no DNS, so it says on what the answer depends
 * and never promises one. A forged From or Reply-To must not be told it will be answered there.
 */
function whomTheDaemonAnswers(hasKey: boolean, from: string | undefined): string[] {
  const verifiedOnly =
    'only at an address SPF or DKIM verifies (From when DKIM or SPF aligns it, else an envelope sender whose SPF passes), never at Reply-To, without your Subject or text; with no such address, nobody is answered';
  const offline =
    'lint is offline: it checks no key and no DNS, so it cannot say whether an answer will come';
  if (!hasKey) {
    return [`  note: no API key: the daemon answers ${verifiedOnly}. ${offline}.`];
  }
  return [
    `  note: with a valid key whose account lists ${from ? redactApiKeys(from) : 'the From address'}, the daemon answers at Reply-To, else From; otherwise ${verifiedOnly}. ${offline}.`,
  ];
}

/**
 * The key of a message refused before its templates were read (no template, too many...): as the
 * worker looks for it to answer a key holder at its account's address, the one key of its
 * Subject and text together; none when there are several.
 */
function refusedMessageKey(subject: string, text: string): string | undefined {
  const keys = new Set([...findApiKeys(subject), ...findApiKeys(text)].map((k) => k.toUpperCase()));
  return keys.size === 1 ? [...keys][0] : undefined;
}

async function lintFile(
  path: string,
  out: string[],
  stdin?: NodeJS.ReadableStream,
  tryAgainst?: RegistryTry,
): Promise<boolean> {
  let raw: Buffer;
  try {
    raw = path === '-' && stdin ? await readAll(stdin) : await readFile(path);
  } catch (err) {
    out.push(`${path}: cannot read: ${err instanceof Error ? err.message : String(err)}`);
    return false;
  }
  let subject = '';
  let text: string;
  let forwarded: readonly ForwardedText[] = [];
  let parts: readonly TextPart[] = [];
  let unread: readonly UnreadPart[] = [];
  /** Without a template: what the mail names of ours (In-Reply-To, References, ticket numbers). */
  let answerHint: string | undefined;
  let from: string | undefined;
  /** For mail the loop rules let us answer: whom the daemon would answer, once the key is known. */
  let answerNote: ((apiKey: string | undefined) => string[]) | undefined;
  const asText = raw.toString('utf8');
  if (looksLikeMail(asText)) {
    const mail = await extractMail(raw);
    if (!mail.ok) {
      out.push(`${path}: ${formatProblem(mail.error)}`);
      return false;
    }
    const h = mail.value.headers;
    subject = h.subject;
    from = h.from?.address;
    text = mail.value.text;
    forwarded = mail.value.forwarded;
    parts = mail.value.blocks;
    unread = mail.value.unread;
    const named = namedOfOurs(mail.value);
    if (named.messageIds > 0 || named.tickets.length > 0) {
      const what = [
        ...(named.messageIds > 0 ? [`${named.messageIds} Message-ID(s) in In-Reply-To/References`] : []),
        ...(named.tickets.length > 0 ? [`ticket ${named.tickets.join(', ')}`] : []),
      ].join(' and ');
      answerHint = `  note: it names ${what}: when they are ours (lint is offline and cannot check), the daemon takes a message without a template for an answer to our mail, passes it to staff and acknowledges it (RECEIVED) instead of refusing it`;
    }
    const extras = [
      mail.value.htmlOnly ? 'read from HTML' : '',
      mail.value.pgpSigned ? 'PGP-signed (not verified)' : '',
    ].filter(Boolean);
    out.push(
      `${path}: mail from ${h.from?.address ?? '(none)'}, subject ${JSON.stringify(redactApiKeys(subject))}${extras.length ? `, ${extras.join(', ')}` : ''}`,
    );
    // The worker's own rule, on the same header block it reads (our addresses aside: lint has
    // no configuration), so lint never promises an answer the daemon would not send.
    const decision = shouldReply(readReplyHeaders(headerBlock(raw)), []);
    if (!decision.reply) out.push(`  note: the daemon would not reply: ${decision.explanation}`);
    else answerNote = (apiKey) => whomTheDaemonAnswers(apiKey !== undefined, h.from?.address);
  } else {
    text = asText.replace(/\r\n?/g, '\n');
    out.push(`${path}: plain text`);
  }
  const parse = parseSubmission({ subject, text, forwarded, parts, unread });
  if (answerNote) out.push(...answerNote(parse.ok ? parse.apiKey : refusedMessageKey(subject, text)));
  if (!parse.ok) {
    out.push(`  ${formatProblem(parse.problem)}`);
    if (parse.problem.code === 'E_NO_TEMPLATE' && answerHint) out.push(answerHint);
    return false;
  }
  for (const skipped of parse.notApplied) out.push(`  not applied: ${formatProblem(skipped)}`);
  for (const t of parse.templates)
    for (const line of describeTemplate(t, parse.templates.length)) out.push(line);
  const parsed = parse.templates.every((t) => t.result.ok);
  if (!tryAgainst) return parsed;
  const tried = await tryAgainst({ templates: parse.templates, apiKey: parse.apiKey }, from);
  out.push(...tried.lines);
  return parsed && tried.good;
}

export async function lintCommand(args: string[], io: LintIo): Promise<number> {
  const against = args.includes(AGAINST_REGISTRY);
  const files = args.filter((a) => a.length > 0 && a !== AGAINST_REGISTRY);
  if (files.length === 0 || (against && !io.config)) {
    io.stderr.write(
      `Usage: hostmasterd lint [${AGAINST_REGISTRY}] FILE...   (mail files .eml or plain template text; - reads stdin)\n`,
    );
    return 2;
  }
  let handle: DatabaseHandle | undefined;
  if (against && io.config) {
    try {
      const target = io.config.database;
      // A dry run reads the registry there is: it neither makes an embedded database where none
      // is nor runs this version's migrations on a server another version's daemon may use.
      if (target.kind === 'pglite' && !embeddedDatabaseExists(target.dataDir)) {
        io.stderr.write(
          `hostmasterd lint: ${AGAINST_REGISTRY}: there is no registry under ${target.dataDir} to try the templates against (load one first: hostmasterd demo, or hostmasterd seed FILE)\n`,
        );
        return 1;
      }
      const { openDatabase } = await import('../db/index.ts');
      handle = await openDatabase(target, { migrate: false });
    } catch (error) {
      const message = error instanceof ProblemError ? formatProblem(error.problem) : (error as Error).message;
      io.stderr.write(`hostmasterd lint: ${AGAINST_REGISTRY}: ${message}\n`);
      return 1;
    }
  }
  try {
    let allGood = true;
    for (const file of files) {
      const out: string[] = [];
      const good = await lintFile(file, out, io.stdin, handle ? registryTry(handle) : undefined);
      allGood &&= good;
      io.stdout.write(`${out.join('\n')}\n`);
    }
    return allGood ? 0 : 1;
  } finally {
    await handle?.close();
  }
}
