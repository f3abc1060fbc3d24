/**
 * Every code the templates and mail rooms return, with what it means: for the reply texts,
 * the staff console and the documentation. Kept beside the code that raises them.
 */
import type { ErrorCode } from '../shared/index.ts';

export const TEMPLATE_ERROR_CODES = {
  // Message level (SubmissionParse.ok === false)
  E_NO_TEMPLATE: 'no "Template: ..." block outside quoted (> ) lines',
  E_FORWARDED_TEMPLATE:
    'no template in the message itself, only inside a forwarded message (message/rfc822), which is not read',
  E_TOO_MANY_TEMPLATES: 'more than 10 templates in one message; none is processed',
  E_MULTIPLE_API_KEYS:
    "two different API keys in the message (any template's line 00, readable or not, and the Subject)",
  // Template level
  E_UNKNOWN_TEMPLATE: 'unknown form, or a major version we do not accept',
  E_MISSING_END: 'the template has no END OF TEMPLATE line',
  E_INVALID_TEMPLATE: 'the template could not be read (safety net; should not happen)',
  E_TOO_MANY_PROBLEMS:
    'the last problem listed for a template with more than 100: counts those not listed (only the first 100 by line are)',
  // Field level (field and line set)
  E_UNEXPECTED_LINE: 'a line inside the template that is neither a numbered field nor a continuation',
  E_MALFORMED_LINE: 'a numbered line without ":" between label and value',
  E_UNKNOWN_FIELD:
    "a line whose label is none of the form version's and whose number it does not have (a known label is read as its field, whatever its number)",
  E_RETIRED_FIELD:
    'data in a retired field (02-19 of 5.x detailed/reallocate forms) when field 01 names no Org ID (with one, they are skipped)',
  E_MISSING_FIELD: 'a field required for this registration action is blank',
  E_UNEXPECTED_VALUE: 'a field that must be blank for this action is filled (e.g. the handle on N)',
  E_TOO_MANY_VALUES: 'a single-valued field repeated or continued, or too many lines of a repeatable one',
  E_TOO_LONG: 'a value longer than the field allows',
  E_CONTROL_CHARACTER:
    'a value holding a control character (NUL, ESC, ...; the echo shows it as its symbol, e.g. ␀)',
  E_UNREADABLE_CHARACTER:
    'a value holding U+FFFD: bytes that did not fit the character set the message declared',
  E_CANNOT_CLEAR: 'NONE on a required field',
  E_NOTHING_TO_CHANGE: 'a modify that changes nothing',
  E_AMBIGUOUS_VALUE:
    'both a handle and the details of a new net POC (version 4 embedded forms; with a Downstream Org ID, the org lines 02-19 are skipped, not refused)',
  E_INVALID_ACTION: 'a registration action the form does not take',
  E_INVALID_API_KEY:
    'line 00 is not API-XXXX-XXXX-XXXX-XXXX (4 to 8 groups); a key in another shape is named redacted',
  E_INVALID_IP: 'not an IP prefix or range, host bits set, or the wrong IP version for the form',
  E_INVALID_ORIGIN_AS: 'not a list of AS numbers',
  E_INVALID_COUNTRY: 'not an ISO 3166-1 alpha-2 country code',
  E_INVALID_EMAIL: 'not an e-mail address',
  E_INVALID_PHONE: 'not a phone number or extension',
  E_INVALID_HANDLE: 'not a POC handle (JD123-ARIN) or Org ID (EXAMPLE-1)',
  E_INVALID_VALUE:
    'another malformed value (Yes/No, contact type, net POC type, host name, network name, referral server)',
  // Mail room
  E_BAD_MIME: 'the raw message could not be read as MIME',
  E_MESSAGE_TOO_COMPLEX:
    'reading the message took more than READ_TIME_LIMIT_MS (30 s) or 512 MB in its thread, which was stopped',
  E_HTML_TOO_COMPLEX:
    'nothing to read but HTML past the limits (1,000,000 characters, 40,000 tags, 256 levels of nesting); not parsed',
} as const satisfies Record<ErrorCode, string>;

export type TemplateErrorCode = keyof typeof TEMPLATE_ERROR_CODES;
