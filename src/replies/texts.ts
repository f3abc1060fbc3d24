/**
 * Reply texts live as files in `templates/replies/` so staff can reword them without touching
 * code. They are read ONCE at start-up (`loadReplyTexts`) and handed to the composer as a value,
 * which keeps the composer pure. A missing file or key stops the daemon at start, not at the
 * first reply.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ERROR_CODES,
  type ErrorCodeEntry,
  fail,
  ok,
  type Problem,
  ProblemError,
  problem,
  type Result,
} from '../shared/index.ts';

/** Where the texts shipped with hostmasterd live. */
export const REPLY_TEXTS_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../templates/replies',
);

export const PHRASE_KEYS = [
  'label.template',
  'label.of',
  'label.ticket',
  'label.status',
  'label.handle',
  'label.error',
  'label.note',
  'label.refused',
  'label.submission',
  'summary.one',
  'summary.many',
  'summary.single',
  'summary.refused',
  'summary.received',
  'counts.none',
  'summary.help',
  'summary.forms',
  'summary.no-forms',
  'subject.digest',
  'subject.per-template',
  'subject.no-subject',
  'subject.notification',
  'echo.heading',
  'echo.heading-edited',
  'echo.line-cut',
  'echo.lines-cut',
] as const;
export type PhraseKey = (typeof PHRASE_KEYS)[number];

/** Prose files, by the name the composer knows them under. */
const PROSE_FILES = {
  plainTextReminder: 'plain-text-reminder.txt',
  blankForms: 'blank-forms.txt',
  rejected: 'rejected.txt',
  pendingReview: 'pending-review.txt',
  footer: 'footer.txt',
  /** The footer of a reply that quotes a template staff corrected: not all it quotes is the sender's. */
  footerEdited: 'footer-edited.txt',
  notification: 'notification.txt',
  received: 'received.txt',
  help: 'help.txt',
  forms: 'forms.txt',
} as const;
export type ProseKey = keyof typeof PROSE_FILES;

export interface ReplyTexts {
  readonly phrases: Readonly<Record<PhraseKey, string>>;
  readonly prose: Readonly<Record<ProseKey, string>>;
  /** Explanation of a whole-message refusal, by Problem code (the catalogue's `refusal` files); `default` for any other code. */
  readonly refusals: Readonly<Record<string, string>>;
}

/** The words of the machine-readable block: what `parseReply` reads unless told otherwise. */
export interface ReplyLabels {
  readonly template: string;
  readonly of: string;
  readonly ticket: string;
  readonly status: string;
  readonly handle: string;
  readonly error: string;
  readonly note: string;
  readonly refused: string;
  readonly submission: string;
}

/** The labels of the contract (docs/architecture.md section 6); the shipped `phrases.txt` must agree. */
export const CONTRACT_LABELS: ReplyLabels = {
  template: 'Template',
  of: 'of',
  ticket: 'Ticket',
  status: 'Status',
  handle: 'Handle',
  error: 'Error',
  note: 'Note',
  refused: 'Refused',
  submission: 'Submission',
};

export function labelsOf(texts: ReplyTexts): ReplyLabels {
  const p = texts.phrases;
  return {
    template: p['label.template'],
    of: p['label.of'],
    ticket: p['label.ticket'],
    status: p['label.status'],
    handle: p['label.handle'],
    error: p['label.error'],
    note: p['label.note'],
    refused: p['label.refused'],
    submission: p['label.submission'],
  };
}

/** Replaces `{name}` with values[name]; unknown placeholders stay as written (the loader forbids them). */
export function fill(template: string, values: Readonly<Record<string, string | number>>): string {
  return template.replace(/\{([a-zA-Z-]+)\}/g, (whole, name: string) =>
    name in values ? String(values[name]) : whole,
  );
}

/** The placeholders each text may use: anything else is a typo the loader reports. */
const PHRASE_PLACEHOLDERS: Readonly<Record<string, readonly string[]>> = {
  'summary.one': ['counts'],
  'summary.many': ['count', 'counts'],
  'summary.single': ['index', 'total', 'status'],
  'summary.refused': ['code'],
  'summary.forms': ['count', 'forms'],
  'summary.no-forms': ['asked'],
  'subject.digest': ['subject'],
  'subject.per-template': ['subject', 'status'],
  'subject.no-subject': ['submission'],
  'subject.notification': ['objectType', 'handle', 'ticket', 'submission'],
  'echo.heading': ['index', 'total', 'form'],
  'echo.heading-edited': ['index', 'total', 'form'],
  'echo.line-cut': ['count'],
  'echo.lines-cut': ['count'],
};
const INCLUDES = ['plain-text-reminder', 'blank-forms'];
const PROSE_PLACEHOLDERS: Readonly<Record<ProseKey, readonly string[]>> = {
  plainTextReminder: [],
  // Where the blank forms are: `at <PUBLIC_URL>/templates/`, or the folder when no URL is set.
  blankForms: ['forms-location'],
  rejected: INCLUDES,
  pendingReview: [],
  footer: ['submission'],
  footerEdited: ['submission'],
  notification: ['objectType', 'handle', 'ticket', 'submission', 'summary'],
  received: [],
  help: ['forms', 'where-forms', 'max-templates', 'dry-run'],
  forms: [],
};
const REFUSAL_PLACEHOLDERS = [...INCLUDES, 'code', 'submission'];

function textsProblem(file: string, message: string, line?: number): Problem {
  return problem('E_REPLY_TEXTS', `${file}: ${message}`, line ? { line } : {});
}

function checkPlaceholders(file: string, text: string, allowed: readonly string[]): Problem | undefined {
  for (const match of text.matchAll(/\{([a-zA-Z-]+)\}/g)) {
    if (!allowed.includes(match[1]!)) {
      const known = allowed.length ? allowed.map((a) => `{${a}}`).join(', ') : 'none';
      return textsProblem(file, `unknown placeholder {${match[1]}} (this text may use ${known})`);
    }
  }
  return undefined;
}

/** `key = value` lines; `#` comments and blank lines ignored; every PHRASE_KEY exactly once. */
export function parsePhrases(text: string, file = 'phrases.txt'): Result<Record<PhraseKey, string>> {
  const found = new Map<string, string>();
  const lines = text.split(/\r?\n/);
  for (const [i, rawLine] of lines.entries()) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-z.-]+)\s*=\s*(.*)$/.exec(line);
    if (!match) return fail(textsProblem(file, `"${line}" is not a "key = value" line`, i + 1));
    const [, key, value] = match as unknown as [string, string, string];
    if (!(PHRASE_KEYS as readonly string[]).includes(key)) {
      return fail(textsProblem(file, `unknown key "${key}"`, i + 1));
    }
    if (found.has(key)) return fail(textsProblem(file, `"${key}" is given twice`, i + 1));
    if (value === '') return fail(textsProblem(file, `"${key}" is empty`, i + 1));
    if (key.startsWith('label.') && /[:\s]/.test(value)) {
      return fail(textsProblem(file, `"${key}" must be one word without a colon`, i + 1));
    }
    const bad = checkPlaceholders(file, value, PHRASE_PLACEHOLDERS[key] ?? []);
    if (bad) return fail({ ...bad, line: i + 1 });
    found.set(key, value);
  }
  const missing = PHRASE_KEYS.filter((k) => !found.has(k));
  if (missing.length) return fail(textsProblem(file, `missing ${missing.join(', ')}`));
  return ok(Object.fromEntries(found) as Record<PhraseKey, string>);
}

function readText(dir: string, file: string): Result<string> {
  try {
    return ok(fs.readFileSync(path.join(dir, file), 'utf8').replace(/\r\n/g, '\n').trimEnd());
  } catch (error) {
    return fail(textsProblem(path.join(dir, file), (error as Error).message));
  }
}

/** The refusal files the error catalogue names, by code, and `default` for every other code. */
const REFUSAL_FILES: ReadonlyMap<string, string> = new Map([
  ['default', 'default.txt'],
  ...Object.entries(ERROR_CODES).flatMap(([code, entry]: [string, ErrorCodeEntry]) =>
    entry.refusal ? [[code, entry.refusal] as const] : [],
  ),
]);

/**
 * Every refusal text the catalogue names, and default.txt: a missing one stops the start. A file
 * nobody names would never be read (a misspelt code, a code removed), so it stops the start too.
 */
function readRefusals(dir: string): Result<Record<string, string>> {
  let present: string[];
  try {
    present = fs.readdirSync(path.join(dir, 'refusals')).filter((f) => f.endsWith('.txt'));
  } catch (error) {
    return fail(textsProblem(path.join(dir, 'refusals'), (error as Error).message));
  }
  const named = new Set(REFUSAL_FILES.values());
  const stray = present.sort().find((file) => !named.has(file));
  if (stray) {
    return fail(
      textsProblem(
        `refusals/${stray}`,
        'no code of the error catalogue (src/shared/error-codes.ts) names this file, so it would never be sent',
      ),
    );
  }
  const refusals: Record<string, string> = {};
  for (const [code, file] of REFUSAL_FILES) {
    const text = readText(dir, `refusals/${file}`);
    if (!text.ok) return text;
    const bad = checkPlaceholders(`refusals/${file}`, text.value, REFUSAL_PLACEHOLDERS);
    if (bad) return fail(bad);
    refusals[code] = text.value;
  }
  return ok(refusals);
}

/** Reads and checks every text; the first problem found, as a value. */
export function readReplyTexts(dir: string = REPLY_TEXTS_DIR): Result<ReplyTexts> {
  const phrasesText = readText(dir, 'phrases.txt');
  if (!phrasesText.ok) return phrasesText;
  const phrases = parsePhrases(phrasesText.value);
  if (!phrases.ok) return phrases;

  const prose: Partial<Record<ProseKey, string>> = {};
  for (const [key, file] of Object.entries(PROSE_FILES) as [ProseKey, string][]) {
    const text = readText(dir, file);
    if (!text.ok) return text;
    const bad = checkPlaceholders(file, text.value, PROSE_PLACEHOLDERS[key]);
    if (bad) return fail(bad);
    prose[key] = text.value;
  }

  const refusals = readRefusals(dir);
  if (!refusals.ok) return refusals;
  return ok({ phrases: phrases.value, prose: prose as Record<ProseKey, string>, refusals: refusals.value });
}

export interface ReplyTextOptions {
  /**
   * PUBLIC_URL: where the public HTTP listener is reached. Replies that mention the blank forms
   * then give `<url>/templates/`; without it, the templates/ folder of this service.
   */
  readonly publicUrl?: string | undefined;
}

/** Start-up form: throws a ProblemError (E_REPLY_TEXTS) naming the file and line at fault. */
export function loadReplyTexts(dir: string = REPLY_TEXTS_DIR, options: ReplyTextOptions = {}): ReplyTexts {
  const texts = readReplyTexts(dir);
  if (!texts.ok) throw new ProblemError(texts.error);
  const formsLocation = options.publicUrl
    ? `at ${options.publicUrl.replace(/\/+$/, '')}/templates/`
    : 'in the templates/ folder of this service';
  const prose = texts.value.prose;
  return {
    ...texts.value,
    prose: { ...prose, blankForms: fill(prose.blankForms, { 'forms-location': formsLocation }) },
  };
}
