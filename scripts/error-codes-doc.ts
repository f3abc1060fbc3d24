/**
 * Writes docs/error-codes.md from the error catalogue (src/shared/error-codes.ts), so the list
 * people read is the list the code compiles against: `npm run docs:error-codes` after adding a
 * code. test/shared/error-codes.test.ts fails while the file differs from what this writes.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ERROR_CODES, type ErrorCodeEntry, type ErrorStage } from '../src/shared/index.ts';

export const ERROR_CODES_DOC = join(import.meta.dirname, '../docs/error-codes.md');

const STAGE_HEADINGS: Readonly<Record<ErrorStage, string>> = {
  mail: 'Reading the message (the message is refused as a whole, in a reply)',
  message: 'Finding the templates (the message is refused as a whole, in a reply)',
  template: 'One template (its block in the reply)',
  field: 'One field of a template (`Error: E_CODE field NN line L: ...`)',
  auth: 'Who is asking (in the reply)',
  registry: "The registry's rules (in the reply)",
  worker: 'The job as a whole (reply and staff queue)',
  smtp: 'The SMTP answer to the sending server (no mail)',
  console: 'The staff console',
  operator: 'Start-up, configuration and the CLI (on the terminal)',
  'reply-reader': 'Reading our replies back (`parseReply` in test/support/reply-reader.ts)',
  public: 'Public WHOIS and RDAP (in the answer to the query)',
};

const FIELD_WORDS: Readonly<Record<NonNullable<ErrorCodeEntry['field']>, string>> = {
  line: 'the field on its line',
  range: 'the range field',
  handle: 'the handle field',
  named: 'the field it quotes, else the handle or range',
};

function row(code: string, entry: ErrorCodeEntry): string {
  const cell = (text: string) => text.replace(/\|/g, '\\|');
  const field = entry.field ? FIELD_WORDS[entry.field] : '';
  const refusal = entry.refusal ? `[${entry.refusal}](../templates/replies/refusals/${entry.refusal})` : '';
  return `| \`${code}\` | ${cell(entry.meaning)} | ${field} | ${refusal} |`;
}

export function errorCodesDocument(): string {
  const entries = Object.entries(ERROR_CODES) as [string, ErrorCodeEntry][];
  const sections = (Object.keys(STAGE_HEADINGS) as ErrorStage[]).map((stage) =>
    [
      `## ${STAGE_HEADINGS[stage]}`,
      '',
      '| code | meaning | field | refusal text |',
      '|---|---|---|---|',
      ...entries.filter(([, entry]) => entry.stage === stage).map(([code, entry]) => row(code, entry)),
    ].join('\n'),
  );
  return `${[
    '# Error codes',
    '',
    'Every code hostmasterd gives, by where it is raised. Written by `npm run docs:error-codes` from',
    'the catalogue in `src/shared/error-codes.ts`; edit that, not this file. A reply writes a code',
    'as `Error: E_CODE field NN line L: sentence` or `Refused: E_CODE: sentence`',
    '([reply-format.md](reply-format.md)); the sentence says the particular case. *field*: which',
    "field of the sender's template the reply names when the rule speaks of a value (in the",
    "sender's own numbering). *refusal text*: the file that explains a message refused as a whole",
    'with this code (others get `default.txt`).',
    '',
    ...sections.flatMap((section) => [section, '']),
  ]
    .join('\n')
    .trimEnd()}\n`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  writeFileSync(ERROR_CODES_DOC, errorCodesDocument());
  process.stdout.write(`wrote ${ERROR_CODES_DOC}\n`);
}
