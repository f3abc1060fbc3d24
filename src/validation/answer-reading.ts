/**
 * Does an answer to a validation mail say the POC's record is correct? Read as a person reads a
 * reply: the sender's own words only (not what they quote, not their signature, not the
 * disclaimer or banner their mail server adds), and among those, what they say about the record.
 * Pure: text in, a verdict out. Unclear answers are not guessed: staff read them.
 *
 * Two strengths of saying yes:
 * - a line that is CORRECT (what the validation mail asks for: "write CORRECT on a line of its
 *   own"), alone or with a thank-you, stands unless the same answer asks for a change ("not
 *   correct", "wrong", "CORRECT except the phone", "our address changed", "new e-mail", an
 *   address written out as `Street: ...`); a "not" elsewhere ("I am not in on Friday") is no change;
 * - a freer yes ("yes", "confirmed", "the record is still accurate") stands only when no own line
 *   asks for a change either, nor says anything negative at all (not, wrong, changed...), as before.
 * Either way "nothing has changed", "no changes", "has not changed" and the like say the record
 * stands: they are read as such, not as "changed" or "not".
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
  const out: string[] = [];
  for (const paragraph of paragraphs) {
    if (paragraph.length === 0) continue;
    if (isBoilerplate(paragraph)) {
      if (out.length > 0) break;
      continue;
    }
    for (const line of paragraph) out.push(line);
  }
  return out;
}

/** The token line our mail asks to be kept: the sender's, but no word of an answer. */
const TOKEN_LINE = /^validation-token:/i;

/**
 * Ways of saying the record stands that hold a negative word ("Nothing has changed", "no changes
 * needed", "has not changed"), and polite phrases that do ("do not hesitate to call"): taken out
 * of a line before it is searched for what says no.
 */
const STANDS = [
  /\b(nothing|none of (it|this|that|the (details|data|information|above)))( else)?( at all)? (has |have |is |was )?(been )?(changed|different|wrong|incorrect|outdated|out of date|new)\b/gi,
  /\b(has|have|is|was|were|did|does|do)(n't| not| never)( been)? (changed?|updated|moved)\b/gi,
  /\bnot (been )?changed\b/gi,
  /\bno (changes?|updates?|corrections?|amendments?)\b( (are|is))?( (needed|required|necessary|to (make|report)))?/gi,
  /\bunchanged\b/gi,
  /\b(does|do)(n't| not) need (any |to be )?(chang|updat|correct)\w*/gi,
  /\bno need to (change|update|correct)\w*/gi,
  /\b(do|please do)(n't| not) hesitate\b/gi,
];

function withoutStandingPhrases(line: string): string {
  return STANDS.reduce((rest, phrase) => rest.replace(phrase, ' '), line);
}

/** CORRECT on a line of its own: with punctuation, a dash, a thank-you, no other words. */
const EXPLICIT_CORRECT =
  /^[\s*"'(]*correct[\s.!,;:)"'*-]*((thanks|thank you|cheers|regards)( (very much|again|a lot))?[\s.!,)"'*]*)?$/i;

/** A freer yes, at the start of a line. */
const AFFIRMATIVE =
  /^[\s*"'(]*(yes|correct|confirm(ed|ing)?|validated?|ok(ay)?|accurate|still (correct|accurate|valid|current)|all good|looks? (good|correct|fine|right)|((i|we)( hereby| can)? confirm( that)? )?(it|this|that|the (record|information|data|details|entry|poc|contact)|all( the)? (details|information|data)|everything|all)('s| is| are)?( still)? (correct|accurate|valid|right|up[ -]to[ -]date|complete))\b/i;

/** Any negative word: without an explicit CORRECT line, one is enough for staff to read the answer. */
const NEGATIVE = /\b(not|incorrect|wrong|outdated|out of date|changed|no longer|isn't|aren't|except)\b/i;

/**
 * What asks for a change even beside an explicit CORRECT: the record said to be wrong, a
 * qualification, a change of the record's details named, a record line written out to replace one.
 */
const CHANGE_REQUEST: readonly RegExp[] = [
  /\b(not|isn't|aren't|is no|are no|no longer|never)\b[^.!?;]{0,40}\b(correct|right|accurate|valid|current|complete|up[ -]to[ -]date|ours?|in use|with us|reachable|working|employed)\b/i,
  /\b(incorrect|inaccurate|wrong|outdated|out[ -]of[ -]date|obsolete|invalid|mistake|typo)\b/i,
  /\b(except|apart from|other than|but|however|although|though)\b/i,
  /\b(changed|moved|relocated|retired|left (the|our) (company|organi[sz]ation|team)|no longer|any ?more)\b/i,
  /\bnew (address|street|city|phone|number|fax|mobile|e-?mail|contact|name|company|postal code|zip)\b/i,
  /\b(please|kindly|pls) (update|change|correct|amend|remove|delete|replace|add)\b/i,
  /\b(should|must|needs? to) (be|read|say|show)\b/i,
  /\b(update|change|correct|amend|replace) (it|the|our|my|this|that)\b/i,
  // A detail of the record written out, as to replace it (a signature's phone or e-mail line is not).
  /^(street|address|city|state|province|state\/province|postal code|zip( code)?|country|company|name)\s*:/i,
];

/**
 * Says the record is correct: an explicit CORRECT line and no change asked for, or a freer yes
 * and nothing negative (see the file's comment). A yes counts in the first 20 own lines; a change
 * asked for in the first 200.
 */
export function affirms(text: string): boolean {
  const own = ownLines(text).filter((line) => !TOKEN_LINE.test(line));
  // A change asked for anywhere in the answer counts; a yes only near its top (a long letter that
  // says "correct" somewhere is for staff to read).
  const asked = own.slice(0, 200).map(withoutStandingPhrases);
  if (asked.some((line) => CHANGE_REQUEST.some((change) => change.test(line)))) return false;
  const lines = own.slice(0, 20);
  const searched = asked.slice(0, 20);
  if (lines.some((line) => EXPLICIT_CORRECT.test(line))) return true;
  if (searched.some((line) => NEGATIVE.test(line))) return false;
  return lines.some((line) => AFFIRMATIVE.test(line));
}
