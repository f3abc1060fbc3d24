/**
 * The message ids of a threading field (In-Reply-To, References), as RFC 5322 section 3.6.4
 * writes them: `msg-id = [CFWS] "<" id-left "@" id-right ">" [CFWS]`. Mail clients and lists
 * also put comments, quoted strings and bare words there (the obsolete syntax allows a phrase
 * between ids), fold the field over lines, and write ids that are no ids (`<a b@x>`). Each of
 * those is passed over whole: splitting the field at spaces would turn `<a b@x>` into `<b@x>`,
 * an id the sender never named, which could thread their mail onto someone else's.
 */

/**
 * atext (RFC 5322 3.2.3), and any non-ASCII character but a control or a line separator (RFC 6532
 * lets UTF-8 stand in atext; a C1 control or U+2028 would end a line for some readers).
 */
const ATEXT = "[A-Za-z0-9!#$%&'*+\\-/=?^_`{|}~]|[^\\u0000-\\u009F\\u2028\\u2029]";
const DOT_ATOM_TEXT = `(?:${ATEXT})+(?:\\.(?:${ATEXT})+)*`;
/** no-fold-literal: `[` dtext `]`, dtext being printable ASCII but `[`, `]` and `\`. */
const NO_FOLD_LITERAL = '\\[[!-Z^-~]*\\]';
/**
 * Inside the brackets, the current syntax only: the obsolete one (quoted local parts, comments
 * inside) is one we must not write back (RFC 5322 section 4), and our replies echo these ids.
 */
const ID_INSIDE = new RegExp(`^${DOT_ATOM_TEXT}@(?:${DOT_ATOM_TEXT}|${NO_FOLD_LITERAL})$`, 'u');

/** The index after the comment that starts at `start` (comments nest; `\\` quotes a character). */
function afterComment(text: string, start: number): number {
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') i++;
    else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i + 1;
  }
  return text.length; // unterminated: the rest of the field is inside it
}

/** The index after the quoted string that starts at `start`. */
function afterQuoted(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i + 1;
  }
  return text.length;
}

/**
 * The ids of a threading field's value (unfolded or not), each written `<left@right>`, in order.
 * What is not an id (a bare word, a quoted string, a comment, a bracketed text that is not
 * `left@right`) is dropped, never trimmed or split into one.
 */
export function messageIdsIn(value: string): string[] {
  const ids: string[] = [];
  let i = 0;
  while (i < value.length) {
    const c = value[i]!;
    if (/\s/.test(c)) i++;
    else if (c === '(') i = afterComment(value, i);
    else if (c === '"') i = afterQuoted(value, i);
    else if (c === '<') {
      // The id ends at the first `>`; a `<` before it means the first one was never closed.
      const end = value.slice(i + 1).search(/[<>]/);
      if (end < 0) break;
      const inside = value.slice(i + 1, i + 1 + end);
      if (value[i + 1 + end] === '<') {
        i = i + 1 + end;
        continue;
      }
      if (ID_INSIDE.test(inside)) ids.push(`<${inside}>`);
      i = i + 2 + end;
    } else {
      // A bare word (or a stray `>`): up to the next space, comment, quoted string or id.
      const rest = value.slice(i + 1).search(/[\s("<]/);
      i = rest < 0 ? value.length : i + 1 + rest;
    }
  }
  return ids;
}
