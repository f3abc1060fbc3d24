/**
 * What a Subject asks for, with the words that ask for nothing taken out first: the API key
 * (the Subject is where a key holder without DKIM or SPF writes it: `help API-7F3A-...`,
 * `forms POC API-7F3A-...`) and the dry run's word. A request for help or for forms reads the
 * same whichever of those words stand beside it (finding rev-trust F4).
 */
import { findKeySpans } from '../shared/index.ts';
import { withoutDryRunWords } from './dry-run.ts';

/** The text with every API key taken out, in any shape the daemon reads one (shared's findKeySpans). */
export function withoutApiKeys(text: string): string {
  const spans = findKeySpans(text);
  if (spans.length === 0) return text;
  let out = '';
  let at = 0;
  for (const span of spans) {
    out += `${text.slice(at, span.start)} `;
    at = span.end;
  }
  return out + text.slice(at);
}

/** The words of a request, without its key and dry-run words, trimmed. */
export function requestWords(text: string): string {
  return withoutDryRunWords(withoutApiKeys(text)).trim();
}
