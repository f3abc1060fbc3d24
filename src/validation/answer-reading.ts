/**
 * Does an answer to a validation mail say the POC's record is correct, and nothing more? Read as
 * a person reads a reply: the sender's own words only (not what they quote, not their signature,
 * not the disclaimer or banner their mail server adds), and among those, what they say.
 * Pure: text in, a verdict out.
 *
 * Read conservatively, as an allow-list: the answer validates only when every own line is a
 * plain confirmation ("CORRECT", "Yes, still correct", "Confirmed, nothing has changed"), a
 * greeting, a thank-you or a short signature (a name, a title). Anything else (a question, a
 * change reported in any wording, a complaint, "unsubscribe", a record line written out) goes to
 * staff as unclear: a deny-list of change phrasings always misses one ("is now", "bar the zip",
 * "deceased"), and validating on it tells someone "the record stands" who just said it does not.
 */

/** Lines after which nothing is the sender's answer (a signature, a quote without `>`). */
const STOP_LINE: readonly RegExp[] = [
  // The signature separator, with or without its blank.
  /^--\s*$/,
  // Outlook's and other programs' rules before the quoted mail or the footer: a line of 5 or more
  // underscores, dashes, equals signs, stars or tildes.
  /^[_=*~-]{5,}$/,
  // Quoted without `>` (Outlook's "-----Original Message-----" or its From:/Sent: block, a
  // forward): what follows is our mail, whose words must not be read as the answer.
  /^-{2,}\s*Original Message\s*-{2,}/i,
  /^-{2,}\s*Forwarded message/i,
  /^Begin forwarded message:/i,
  /^From:\s.*@/i,
  // Our own validation mail pasted back without `>` starts with its title.
  /^Annual POC validation \(NRPM/i,
  // Phones' and apps' signatures.
  /^(Sent from my |Sent from (Outlook|Mail|Yahoo|AOL|Gmail)\b|Sent via |Get Outlook for )/i,
];

/** A closing: the lines after it are the writer's signature (name, title, phone), not the answer. */
const CLOSING =
  /^(((best|kind|warm|warmest|many)\s+)?(regards|wishes)|thanks( again| a lot| and regards)?|thank you( very much)?|many thanks|cheers|sincerely|yours( sincerely| truly| faithfully)?|best|br|rgds|all the best|respectfully)[\s,.!-]*$/i;

/** A postscript: after a closing and a signature, the writer's words again. */
const POSTSCRIPT = /^p\.?\s?p?\.?\s?s\b\.?/i;

/**
 * The opening of a paragraph a mail server or program adds: a confidentiality notice, a
 * disclaimer, an "external sender" banner. Such a paragraph is not the answer: written at the top
 * (a banner) it is skipped, after the sender's words it ends them (a footer, often several
 * paragraphs, with no "-- " before it).
 */
const BOILERPLATE_OPENING =
  /^[\s*[(]*(confidential(ity)?\b|disclaimer\b|legal notice\b|privileged\b|important( notice)?:|notice:|caution\b|warning:|external\b|attention:|this (e-?mail|email|message|communication|transmission)\b|(the )?(information|contents?) (contained )?in this (e-?mail|email|message)|if you (are not|have received this)|please (consider the environment|note that this)|think before|this is an? (external|automated)|privacy notice)/i;

/**
 * Words that mark a paragraph as boilerplate once it opens like one: only a disclaimer's or a
 * banner's own phrases, so that "Notice: our address changed" is still read as the answer.
 */
const BOILERPLATE_WORDS =
  /\b(intended (solely |only )?(for|recipient)|addressee|confidential|privileged|originated (from )?outside|outside (of )?(the|your|our) organi[sz]ation|do not click|click(ing)? (on )?links|unauthori[sz]ed|prohibited|notify the sender|in error|before printing|virus(es)?)\b/i;

/** How many non-blank lines ownLines keeps at most, of how many lines and characters it scans. */
const MAX_LINES_READ = 400;
const MAX_LINES_SCANNED = 5_000;
const MAX_CHARACTERS_READ = 500_000;

function isBoilerplate(paragraph: readonly string[]): boolean {
  return BOILERPLATE_OPENING.test(paragraph[0] ?? '') && BOILERPLATE_WORDS.test(paragraph.join(' '));
}

/**
 * The sender's own lines, trimmed, blank ones dropped: not quoted with `>` (an "On ... wrote:"
 * line skipped too: an answer written under the quote counts), before a signature, a closing, a
 * rule, a quote without `>` or a footer; a banner at the top skipped.
 */
export function ownLines(text: string): string[] {
  return ownParagraphs(text).flat();
}

/** ownLines in their paragraphs (a blank line between two): a signature is a paragraph of its own. */
export function ownParagraphs(text: string): string[][] {
  const paragraphs: string[][] = [[]];
  let written = false;
  /** After a closing: the signature, skipped, unless a postscript follows it. */
  let signed = false;
  let kept = 0;
  // An answer, even one written under the quoted mail, lies near the top: a message of megabytes
  // is read no further than its first lines (the job must not spend seconds on blank lines).
  const head = text.slice(0, MAX_CHARACTERS_READ).replace(/\r\n?/g, '\n');
  for (const line of head.split('\n', MAX_LINES_SCANNED)) {
    const trimmed = line.trim();
    if (STOP_LINE.some((stop) => stop.test(trimmed))) break;
    if (trimmed.startsWith('>') || /^On .*wrote:$/i.test(trimmed)) continue;
    // "P.S. the fax changed" after the signature is the writer's again.
    if (signed && POSTSCRIPT.test(trimmed)) signed = false;
    if (signed) continue;
    if (trimmed === '') {
      if (paragraphs[paragraphs.length - 1]!.length > 0) paragraphs.push([]);
      continue;
    }
    // "Thanks," after the answer closes it; before anything, it is only a greeting.
    if (CLOSING.test(trimmed)) {
      signed = written;
      continue;
    }
    // A footer may follow the last line with no blank between: it starts a paragraph of its own.
    if (BOILERPLATE_OPENING.test(trimmed) && paragraphs[paragraphs.length - 1]!.length > 0)
      paragraphs.push([]);
    paragraphs[paragraphs.length - 1]!.push(trimmed);
    written = true;
    // Enough to judge an answer by (affirms reads 200): a pasted log is not read to its end.
    if (++kept >= MAX_LINES_READ) break;
  }
  const out: string[][] = [];
  for (const paragraph of paragraphs) {
    if (paragraph.length === 0) continue;
    if (isBoilerplate(paragraph)) {
      if (out.length > 0) break;
      continue;
    }
    out.push(paragraph);
  }
  return out;
}

/** The token line our mail asks to be kept: the sender's, but no word of an answer. */
const TOKEN_LINE = /^validation-token:\s*\S+$/i;

/** What the record is called in a confirmation ("the record", "all the details", "everything"). */
const RECORD =
  '(it|this|that|everything|all|all (of )?(the|this|our|my) (record|information|data|details|entries)|all( the)? (details|information|data)|the (record|information|data|details|entry|entries|poc|contact|contact details|poc record|above|details above|information above))';
const STATE =
  '(correct|accurate|valid|right|fine|good|current|complete|in order|up[ -]?to[ -]?date|as (it is|shown|above))';

/**
 * A clause that confirms and says nothing else: a yes, CORRECT, "the record is still correct",
 * "I confirm (that) ...", "nothing has changed", "no changes needed". A whole clause matches or
 * none: "correct bar the zip" is no confirmation.
 */
const CONFIRMATION: readonly RegExp[] = [
  /^(yes|yep|yeah|yes indeed|indeed|correct|confirmed|confirm|accurate|validated|valid|ok|okay|all good|all correct|all fine|fine|good|right|that'?s right|still (correct|accurate|valid|current|good)|looks? (good|correct|fine|right|ok)( to (me|us))?|affirmative)$/i,
  new RegExp(
    `^((i|we)( hereby| can)? (confirm|verify|affirm)( that)? )?${RECORD}('s| is| are| remains?| looks| seems)( still)?( all)? ${STATE}( and (complete|current|up[ -]?to[ -]?date|accurate))?$`,
    'i',
  ),
  new RegExp(`^(i|we)( hereby| can)? (confirm|verify|affirm|validate)( ${RECORD})?$`, 'i'),
  /^(nothing|none of (it|this|the details))( at all)?( has| have)?( been)? (changed|to (change|update|report))$/i,
  /^(there (are|have been) )?no changes?( at all)?( (needed|required|necessary|to (make|report)))?( since last year)?$/i,
  /^(it|this|that|the record)? ?(has|have|is)(n't| not)( been)? (changed|updated)( since last year)?$/i,
  /^unchanged$/i,
];

/** A thank-you or courtesy on the answer's own line or a line of its own. */
const COURTESY: readonly RegExp[] = [
  /^(many |thanks|thank you|thx|cheers|regards|best regards|kind regards)( (very much|again|a lot|for (checking|asking|the reminder)))?$/i,
  /^(please )?(do not|don't) hesitate to (contact|call|write to) (me|us)( if you need (more|anything( else)?))?$/i,
  /^have a (nice|good|great) (day|week|weekend)$/i,
];

/** An opening: "Hi", "Hello team", "Dear hostmaster". */
const GREETING =
  /^(hi|hello|hey|dear|good (morning|afternoon|evening)|greetings)( [a-z][\w'.-]*){0,3}[\s,.!:]*$/i;

/**
 * Words no signature line holds: a sentence with one of these is something said, for staff to read
 * ("Unsubscribe", "Please remove me", "Jane Doe left").
 */
const SAID =
  /\b(please|pls|remove|delete|unsubscribe|stop|wrong|incorrect|change[ds]?|new|now|left|leave|moved?|not|no|never|who|why|what|how|deceased|died|retired|dead|gone|spam|update[ds]?|replace|instead|except|but|bar|save|however|sorry|unknown|anymore|longer|is|are|was|were|am|has|have|had|do|does|did)\b/i;

/**
 * A signature line: a name, a title, a company ("John Smith", "NOC Manager, Demo ISP"): short, no
 * digits (a phone written out may be a new phone), no e-mail address, no "Label:" (a record line
 * written out), no sentence.
 */
function signatureLine(line: string): boolean {
  return (
    line.length <= 60 &&
    /^[\p{L}][\p{L} .,'&|()/-]*$/u.test(line) &&
    line.split(/\s+/).length <= 6 &&
    !/[.!]$/.test(line.replace(/\b\p{Lu}\.$/u, '')) &&
    !SAID.test(line)
  );
}

/** The clauses of a line: split at sentence and clause punctuation, and at a plain "and". */
function clauses(line: string): string[] {
  return line
    .replace(/[*"'`_()]/g, (c) => (c === "'" ? c : ' '))
    .split(/[.,;:!]+|\s-\s|\s+and\s+/i)
    .map((c) => c.trim().replace(/\s+/g, ' '))
    .filter((c) => c !== '' && c !== '-');
}

/** Which kind of line it is, for the allow-list: or undefined, something said that is not a confirmation. */
function lineKind(line: string): 'confirmation' | 'courtesy' | undefined {
  const parts = clauses(line);
  if (parts.length === 0) return 'courtesy';
  let confirmed = false;
  for (const part of parts) {
    if (CONFIRMATION.some((c) => c.test(part))) confirmed = true;
    else if (!COURTESY.some((c) => c.test(part))) return undefined;
  }
  return confirmed ? 'confirmation' : 'courtesy';
}

/**
 * Says the record is correct and nothing else (see the file's comment): some own line confirms,
 * and every other own line is a confirmation, a greeting or a courtesy; only after a confirmation,
 * a short signature (a name, a title, a company, no digits: a phone may be a new one). A question anywhere
 * among the own lines is no confirmation.
 */
export function affirms(text: string): boolean {
  const paragraphs = ownParagraphs(text)
    .map((p) => p.filter((line) => !TOKEN_LINE.test(line)))
    .filter((p) => p.length > 0);
  if (paragraphs.some((p) => p.some((line) => line.includes('?')))) return false;
  let confirmed = false;
  let signing = false;
  for (const [index, paragraph] of paragraphs.entries()) {
    for (const [at, line] of paragraph.entries()) {
      if (!signing) {
        const kind = lineKind(line);
        if (kind === 'confirmation') {
          confirmed = true;
          continue;
        }
        if (kind === 'courtesy') continue;
        if (!confirmed && index === 0 && at === 0 && GREETING.test(line) && !SAID.test(line)) continue;
        // A signature follows the confirmation (on the next line or after a blank).
        if (confirmed && signatureLine(line)) {
          signing = true;
          continue;
        }
        return false;
      }
      if (!signatureLine(line)) return false;
    }
  }
  return confirmed;
}

/**
 * Whether the sender's own lines hold a validation answer (a confirmation such as CORRECT, or a
 * Validation-Token line written, not quoted): in a message of templates it is not read as one,
 * and the reply must say so rather than pass over it.
 */
export function holdsValidationAnswer(text: string): boolean {
  return ownLines(text).some((line) => TOKEN_LINE.test(line) || lineKind(line) === 'confirmation');
}
