/**
 * A whole message's text (plus its Subject) -> either one message-level refusal or one outcome
 * per template. Each template stands alone: one bad template never hides the others.
 */
import { type Problem, problem } from '../shared/errors.ts';
import { redactKey } from '../shared/redact.ts';
import { findApiKeys, findKeyLineKeys } from './api-key.ts';
import { FORMS } from './forms/index.ts';
import { type ParsedTemplate, parseTemplateBlock } from './parse-template.ts';
import type { ApiKey } from './requests.ts';
import { splitTemplates } from './split.ts';

export const MAX_TEMPLATES_PER_MESSAGE = 10;

export interface SubmissionInput {
  readonly subject?: string;
  readonly text: string;
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
       * The one API key of the message (any template's line 00, or the Subject), only for authorization.
       * Not enumerable: it never reaches JSON or storage by accident.
       */
      readonly apiKey?: ApiKey;
    }
  | {
      readonly ok: false;
      /** E_NO_TEMPLATE, E_TOO_MANY_TEMPLATES or E_MULTIPLE_API_KEYS. */
      readonly problem: Problem;
      readonly templatesFound: number;
    };

export const BLANK_FORMS_HINT =
  'Blank forms are published in the templates/ folder of this service (one file per form, e.g. ARIN-REASSIGN-SIMPLE-5.3.txt); ' +
  'send one or more of them filled in, as plain text in the body or as a .txt attachment, from "Template: ..." to "END OF TEMPLATE".';

function noTemplate(): Problem {
  const names = FORMS.map((f) => f.name).join(', ');
  return problem(
    'E_NO_TEMPLATE',
    `no template was found in this message (quoted templates, lines starting with ">", are ignored). We accept ${names}. ${BLANK_FORMS_HINT}`,
  );
}

export function parseSubmission(input: SubmissionInput, options: SubmissionOptions = {}): SubmissionParse {
  const limit = options.maxTemplates ?? MAX_TEMPLATES_PER_MESSAGE;
  const blocks = splitTemplates(input.text);
  if (blocks.length === 0) return { ok: false, problem: noTemplate(), templatesFound: 0 };
  if (blocks.length > limit) {
    return {
      ok: false,
      templatesFound: blocks.length,
      problem: problem(
        'E_TOO_MANY_TEMPLATES',
        `this message holds ${blocks.length} templates; at most ${limit} are accepted in one message, so none was processed. Send them in several messages.`,
      ),
    };
  }
  // Every key counts, also one in a template that cannot be read: otherwise a second key would
  // go unnoticed and the message's other templates would run as someone else (the one key, or
  // the sender address).
  const keys = new Set<string>(findApiKeys(input.subject ?? ''));
  for (const block of blocks) for (const key of findKeyLineKeys(block.body)) keys.add(key);
  if (keys.size > 1) {
    const shown = [...keys].map(redactKey).join(', ');
    return {
      ok: false,
      templatesFound: blocks.length,
      problem: problem(
        'E_MULTIPLE_API_KEYS',
        `this message carries ${keys.size} different API keys (${shown}); use one key per message`,
      ),
    };
  }
  const templates = blocks.map((block, i) => parseTemplateBlock(block, i + 1));
  const result: SubmissionParse = { ok: true, templates };
  const key = [...keys][0];
  if (key) {
    Object.defineProperty(result, 'apiKey', { value: key as ApiKey, enumerable: false });
    // A template without its own line 00 is authorized by the message's key (e.g. from the Subject).
    for (const t of templates)
      if (!t.apiKey) Object.defineProperty(t, 'apiKey', { value: key as ApiKey, enumerable: false });
  }
  return result;
}
