/**
 * Whether a net's name gives away what `Private: Yes` hides of its customer: the real name,
 * street, city or postal code. Pure: values in, a yes or no out (directory.ts publishes such a
 * net as `PRIVATE-CUSTOMER`).
 *
 * Net names cannot hold spaces, so upstreams join words: `QUINCEWORTHFAM`, `J-QUINCEWORTH2`,
 * `THEQUINCEWORTHS`, `SPRINGFIELDHOME`, `ZIP22150`, `QUINCE-WORTH`. A reader sees the surname in
 * each, so a hidden word of three characters or more counts wherever it stands in the name read
 * without its separators, and so does each hidden field read whole without its own (`Wu Li` is in
 * `WULI-HOME`). A two-character word (`WU`, a surname too) counts only as a word of its own, at a
 * separator or where letters meet digits (`WU-HOME`, `WU2`): inside other letters it is in most
 * names by chance (`WUNDER`, `LINK`), and two digits alone (a house number) name nobody. Accents are read off (`Müller` is in `MULLER-HOME`), as the
 * net names' letters are ASCII. A word matched by chance only hides a name that needed no hiding.
 */

/** What `Private: Yes` hides of a customer, as the registry holds it. */
export interface HiddenCustomerText {
  readonly name: string;
  readonly street: readonly string[];
  readonly city: string;
  readonly postalCode?: string | null | undefined;
}

/** Upper case with accents read off, so `Müller`, `MULLER` and `muller` are one word. */
function folded(text: string): string {
  return text.normalize('NFKD').replace(/\p{M}/gu, '').toUpperCase();
}

const SEPARATORS = /[^\p{L}\p{N}]+/u;

function wordsOf(text: string): string[] {
  return folded(text)
    .split(SEPARATORS)
    .filter((w) => w.length > 0);
}

/** The net name's words, split at separators and where letters meet digits (`WU2`: WU, 2). */
function shortWordsOf(text: string): Set<string> {
  return new Set(wordsOf(text).flatMap((w) => w.match(/\p{L}+|\p{N}+/gu) ?? []));
}

export function netNameRevealsCustomer(netName: string, hidden: HiddenCustomerText): boolean {
  const joinedName = wordsOf(netName).join('');
  const netWords = shortWordsOf(netName);
  const fields = [hidden.name, ...hidden.street, hidden.city, hidden.postalCode ?? ''];
  const candidates = fields.flatMap((field) => {
    const words = wordsOf(field);
    return words.length > 1 ? [...words, words.join('')] : words;
  });
  return candidates.some((word) =>
    word.length >= 3 ? joinedName.includes(word) : /^\p{L}{2}$/u.test(word) && netWords.has(word),
  );
}
