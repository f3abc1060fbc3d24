/**
 * A whole message's text (plus its Subject) -> either one message-level refusal or one outcome
 * per template. Each template stands alone: one bad template never hides the others.
 */
import { type Problem, problem, redactApiKeys, redactKey } from '../shared/index.ts';
import { findApiKeys, findKeyLineKeys } from './api-key.ts';
import { FORMS } from './forms/index.ts';
import {
  type ForwardedText,
  formShown,
  lineInPart,
  type TextPart,
  templatesNotApplied,
} from './not-applied.ts';
import { type ParsedTemplate, parseTemplateBlock } from './parse-template.ts';
import type { ApiKey } from './requests.ts';
import { resolveForm } from './resolve-form.ts';
import { sortTemplates } from './same-template.ts';
import { splitTemplates, type TemplateBlock } from './split.ts';
import { indexOf } from './version-index.ts';

export const MAX_TEMPLATES_PER_MESSAGE = 10;
/**
 * Past this many `Template:` blocks a message is refused as it stands, before any is compared
 * with another (reading each to find repeats and blank forms is for a normal message's few).
 */
const MAX_TEMPLATE_BLOCKS = 200;
/** Blank forms named in a note or a refusal; the rest are counted. */
const SHOWN_BLANK = 5;
/** Keys named in E_MULTIPLE_API_KEYS (redacted); the rest are counted. */
const SHOWN_KEYS = 5;

export interface SubmissionInput {
  readonly subject?: string;
  readonly text: string;
  /**
   * Messages forwarded inside this one, attached or written into its text. Never read for
   * templates; only so that a message whose templates all sit in a forward hears exactly that.
   */
  readonly forwarded?: readonly ForwardedText[];
  /** The parts `text` was read from, so that a quoted template's line is named in its part. */
  readonly parts?: readonly TextPart[];
  /** Attachments not read for templates: named when no template is found, so the sender knows. */
  readonly unread?: readonly UnreadPart[];
}

/** An attachment the mail room did not read (the mail room's UnreadAttachment). */
export interface UnreadPart {
  readonly contentType: string;
  readonly filename?: string;
}

/** Attachments named in E_NO_TEMPLATE; the rest are counted. */
const SHOWN_UNREAD = 5;
const TNEF_TYPES = new Set(['application/ms-tnef', 'application/vnd.ms-tnef']);

/**
 * Outlook's "Rich Text" format packs the message, attachments and all, into winmail.dat
 * (application/ms-tnef), which is not decoded here: the sender is told how to send plain text.
 */
const isTnef = (part: UnreadPart) =>
  TNEF_TYPES.has(part.contentType) || /^winmail\.dat$/i.test(part.filename ?? '');

function unreadSentence(unread: readonly UnreadPart[]): string {
  if (unread.length === 0) return '';
  const name = (part: UnreadPart) => {
    // A file name is the sender's text: cut as a forward's line is, a key in it redacted.
    const file = part.filename
      ? JSON.stringify(redactApiKeys(part.filename).slice(0, 100))
      : 'an attachment without a name';
    const type = part.contentType.slice(0, 100);
    return isTnef(part)
      ? `${file} (${type}: Outlook's Rich Text format, which we do not read: in Outlook, send the message as plain text (Format Text > Plain Text) or set this address to plain text, and attach the template as a .txt file or paste it into the message)`
      : `${file} (${type})`;
  };
  const more = unread.length - SHOWN_UNREAD;
  const listed = `${unread.slice(0, SHOWN_UNREAD).map(name).join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
  return ` These attachments were not read for templates: ${listed}. Templates are read from the text of the message and from text attachments (.txt).`;
}

export interface SubmissionOptions {
  /** Defaults to 10, as the registry's processor. */
  readonly maxTemplates?: number;
}

export type SubmissionParse =
  | {
      readonly ok: true;
      readonly templates: readonly ParsedTemplate[];
      /**
       * Templates of the message that are someone else's (quoted, forwarded) and so not applied:
       * one E_QUOTED_TEMPLATE or E_FORWARDED_TEMPLATE each, naming its form and line
       * (not-applied.ts). They do not count against the limit of templates a message.
       */
      readonly notApplied: readonly Problem[];
      /**
       * The one API key of the message (any template's line 00, or the Subject), only for authorization.
       * Not enumerable: it never reaches JSON or storage by accident.
       */
      readonly apiKey?: ApiKey;
    }
  | {
      readonly ok: false;
      /** E_NO_TEMPLATE, E_FORWARDED_TEMPLATE, E_TOO_MANY_TEMPLATES or E_MULTIPLE_API_KEYS. */
      readonly problem: Problem;
      readonly templatesFound: number;
    };

export const BLANK_FORMS_HINT =
  'Blank forms are published in the templates/ folder of this service (one file per form, e.g. ARIN-REASSIGN-SIMPLE-5.3.txt); ' +
  'send one or more of them filled in, as plain text in the body or as a .txt attachment, from "Template: ..." to "END OF TEMPLATE".';

function noTemplate(unread: readonly UnreadPart[]): Problem {
  const names = FORMS.map((f) => f.name).join(', ');
  return problem(
    'E_NO_TEMPLATE',
    `no template was found in this message (quoted templates, lines starting with ">", are ignored).${unreadSentence(unread)} We accept ${names}. ${BLANK_FORMS_HINT}`,
  );
}

/**
 * Templates only inside a forwarded (or quoted) message. They are not applied, and the sender is
 * told so rather than "no template was found": a forwarded message was written by someone else,
 * and applying its templates would lend them the forwarder's key or DKIM-verified address (a
 * customer's mail forwarded by a colleague, an old submission forwarded again, a bounce of our
 * own reply quoting the templates). Whoever means the changes sends the templates themselves.
 * Attached or written into the text below `-----Original Message-----`, it is the same refusal.
 */
function forwardedOnly(forwarded: readonly ForwardedText[]): Problem | undefined {
  const holding = forwarded.filter((f) => splitTemplates(f.text).length > 0);
  const found = holding.reduce((n, f) => n + splitTemplates(f.text).length, 0);
  if (found === 0) return undefined;
  const [it, them] = found === 1 ? ['the only template', 'it'] : [`all ${found} templates`, 'them'];
  const lines = [...new Set(holding.flatMap((f) => (f.separator !== undefined ? [f.separator] : [])))];
  const attached = holding.some((f) => f.separator === undefined);
  const where = [
    ...(lines.length > 0
      ? [`written into your message below the line ${lines.map((l) => JSON.stringify(l)).join(' and ')}`]
      : []),
    ...(attached ? ['a message/rfc822 attachment'] : []),
  ].join(', and in ');
  const what = lines.length > 0 ? 'a forwarded or quoted message' : 'a forwarded message';
  const read = lines.length > 0 ? 'forwarded and quoted messages are' : 'forwarded messages are';
  const template = found === 1 ? 'template' : 'templates';
  return problem(
    'E_FORWARDED_TEMPLATE',
    `${it} in this message ${found === 1 ? 'is' : 'are'} inside ${what} (${where}), and ${read} not read for templates: what someone else wrote is not applied on your authority. Copy the filled-in ${template} into the body of your own message${lines.length > 0 ? ' above any quoted or forwarded text' : ''} (or attach ${them} as a .txt file) and send that.`,
  );
}

function tooMany(found: number, limit: number): SubmissionParse {
  return {
    ok: false,
    templatesFound: found,
    problem: problem(
      'E_TOO_MANY_TEMPLATES',
      `this message holds ${found} templates; at most ${limit} are accepted in one message, so none was processed. Send them in several messages.`,
    ),
  };
}

/** `ARIN-POC-5.1 at line 1 of the attachment "ARIN-POC-5.1.txt"`, a few of them, the rest counted. */
function blankNames(blank: readonly TemplateBlock[], parts: readonly TextPart[]): string {
  const named = blank
    .slice(0, SHOWN_BLANK)
    .map((b) => `${formShown(redactApiKeys(b.header))} at ${lineInPart(b.headerLine, parts)}`);
  const more = blank.length - named.length;
  return `${named.join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
}

/**
 * Our blank forms sent back beside a filled one (a Forward of our FORMS answer with its
 * attachments) are not requests: said once, on the first template processed.
 */
function blankNote(blank: readonly TemplateBlock[], parts: readonly TextPart[]): string {
  const [count, are] = blank.length === 1 ? ['1 blank form', 'is'] : [`${blank.length} blank forms`, 'are'];
  return `${count} (every field empty, as we publish the forms) ${are} not a request and ${blank.length === 1 ? 'was' : 'were'} not processed: ${blankNames(blank, parts)}; blank forms do not count toward the templates a message may carry`;
}

function blankOnly(blank: readonly TemplateBlock[], parts: readonly TextPart[]): Problem {
  const them =
    blank.length === 1
      ? 'the only template in it is a blank form'
      : `the ${blank.length} templates in it are blank forms`;
  return problem(
    'E_NO_TEMPLATE',
    `no filled-in template was found in this message: ${them}, every field empty as we publish them (${blankNames(blank, parts)}), which is not a request. Fill in the fields of the form you need and send it. ${BLANK_FORMS_HINT}`,
  );
}

/** The note of a template that stands more than once in the message (body and attachment). */
function againNote(lines: readonly number[], parts: readonly TextPart[]): string {
  const where = lines.map((l) => lineInPart(l, parts)).join(', ');
  return `the same template (the same form, fields and values) stands again at ${where}: read once, processed once`;
}

export function parseSubmission(input: SubmissionInput, options: SubmissionOptions = {}): SubmissionParse {
  const limit = options.maxTemplates ?? MAX_TEMPLATES_PER_MESSAGE;
  const blocks = splitTemplates(input.text);
  if (blocks.length === 0) {
    const refusal = forwardedOnly(input.forwarded ?? []) ?? noTemplate(input.unread ?? []);
    return { ok: false, problem: refusal, templatesFound: 0 };
  }
  if (blocks.length > Math.max(limit, MAX_TEMPLATE_BLOCKS)) return tooMany(blocks.length, limit);
  // The same request twice (body and attachment) counts once; blank forms not at all.
  const parts = input.parts ?? [];
  const sorted = sortTemplates(blocks);
  if (sorted.kept.length === 0)
    return { ok: false, problem: blankOnly(sorted.blank, parts), templatesFound: 0 };
  if (sorted.kept.length > limit) return tooMany(sorted.kept.length, limit);
  // Every key counts, also one in a template that cannot be read: otherwise a second key would
  // go unnoticed and the message's other templates would run as someone else (the one key, or
  // the sender address).
  const keys = new Set<string>(findApiKeys(input.subject ?? ''));
  for (const block of blocks) {
    // The form's labels end line 00 as they end any field (`Registration Action: N` below `API Key:`).
    const resolved = resolveForm(block.header, block.headerLine);
    const index = 'version' in resolved ? indexOf(resolved.version) : undefined;
    for (const key of findKeyLineKeys(block.body, index)) keys.add(key);
  }
  if (keys.size > 1) {
    // A few are enough to recognise; a message can carry thousands, and the reply stays one line.
    const all = [...keys];
    const more = all.length - SHOWN_KEYS;
    const shown = `${all.slice(0, SHOWN_KEYS).map(redactKey).join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
    return {
      ok: false,
      templatesFound: blocks.length,
      problem: problem(
        'E_MULTIPLE_API_KEYS',
        `this message carries ${keys.size} different API keys (${shown}); use one key per message`,
      ),
    };
  }
  const templates = sorted.kept.map((block, i) => {
    const parsed = parseTemplateBlock(block, i + 1);
    const again = sorted.againAt.get(i);
    const read = [
      ...(i === 0 && sorted.blank.length > 0 ? [blankNote(sorted.blank, parts)] : []),
      ...(again ? [againNote(again, parts)] : []),
    ];
    if (read.length === 0) return parsed;
    const noted: ParsedTemplate = { ...parsed, notes: [...read, ...parsed.notes] };
    // The key is not enumerable (never stored by accident), so a spread leaves it behind.
    if (parsed.apiKey) Object.defineProperty(noted, 'apiKey', { value: parsed.apiKey, enumerable: false });
    return noted;
  });
  const result: SubmissionParse = { ok: true, templates, notApplied: templatesNotApplied(input) };
  const key = [...keys][0];
  if (key) {
    Object.defineProperty(result, 'apiKey', { value: key as ApiKey, enumerable: false });
    // A template without its own line 00 is authorized by the message's key (e.g. from the Subject).
    for (const t of templates)
      if (!t.apiKey) Object.defineProperty(t, 'apiKey', { value: key as ApiKey, enumerable: false });
  }
  return result;
}
