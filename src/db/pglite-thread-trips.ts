/**
 * Fewer trips to the embedded database's thread (pglite-thread.ts). PGlite's BasePGlite runs a
 * transaction's BEGIN and COMMIT each as a simple Query followed by a Sync, four trips to the
 * thread of the ~22 a message makes (counted over the bench's embedded scenario: 2.3
 * transactions a message); each trip costs both threads a message and a wake-up. Two of them
 * change nothing in PostgreSQL and are answered here:
 * - a Sync right after a simple Query: the Query has already ended its own transaction command
 *   and answered ReadyForQuery (PostgreSQL skips to a Sync only after an extended-protocol
 *   error), so the Sync only says ReadyForQuery again, with the same status;
 * - a lone BEGIN is held and sent in front of the transaction's first statement (or its COMMIT
 *   or ROLLBACK), its own answer taken off the front of theirs. Its answer is known: nothing
 *   else runs meanwhile (PGlite's transaction lock), and BEGIN outside a transaction does not
 *   fail. Should it fail all the same, its error is the statement's, which then ran in no
 *   transaction of ours: PostgreSQL refuses statements in a failed transaction. The one visible
 *   difference: the transaction's timestamp (now()) is taken with its first statement, not at
 *   BEGIN, sub-milliseconds later.
 */

const QUERY = 0x51; // 'Q'
const SYNC = 0x53; // 'S'
const READY = 0x5a; // 'Z'
const ERROR = 0x45; // 'E'

const BEGIN_QUERY = new Uint8Array([QUERY, 0, 0, 0, 10, ...Buffer.from('BEGIN'), 0]);
/** What PostgreSQL answers BEGIN with: CommandComplete "BEGIN", then ReadyForQuery in a transaction ('T'). */
const BEGIN_ANSWER = new Uint8Array([0x43, 0, 0, 0, 10, ...Buffer.from('BEGIN'), 0, READY, 0, 0, 0, 5, 0x54]);

const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((byte, i) => byte === b[i]);

export const isLoneSync = (message: Uint8Array) =>
  message.length === 5 &&
  message[0] === SYNC &&
  message[4] === 4 &&
  message[1] === 0 &&
  message[2] === 0 &&
  message[3] === 0;

export const isLoneBegin = (message: Uint8Array) => same(message, BEGIN_QUERY);

/** A simple Query, alone in its message (PGlite's exec sends nothing with it). */
export const isSimpleQuery = (message: Uint8Array) => message[0] === QUERY;

/** The status byte of the ReadyForQuery an answer ends with ('I', 'T' or 'E'), if it ends with one. */
export function endingStatus(answer: Uint8Array): number | undefined {
  const at = answer.length - 6;
  if (at < 0 || answer[at] !== READY) return undefined;
  if (answer[at + 1] !== 0 || answer[at + 2] !== 0 || answer[at + 3] !== 0 || answer[at + 4] !== 5)
    return undefined;
  return answer[at + 5];
}

export const readyForQuery = (status: number) => new Uint8Array([READY, 0, 0, 0, 5, status]);

export const beginAnswer = () => BEGIN_ANSWER.slice();

export function withBegin(message: Uint8Array): Uint8Array {
  const out = new Uint8Array(BEGIN_QUERY.length + message.length);
  out.set(BEGIN_QUERY);
  out.set(message, BEGIN_QUERY.length);
  return out;
}

/**
 * The answer to a held BEGIN sent in front of a message, taken off the front of the answer: what
 * follows its first ReadyForQuery. A BEGIN that failed gives its own answer (its error first).
 */
export function withoutBeginAnswer(answer: Uint8Array): Uint8Array {
  let at = 0;
  while (at + 5 <= answer.length) {
    const type = answer[at]!;
    const length = new DataView(answer.buffer, answer.byteOffset + at + 1, 4).getInt32(0);
    if (type === ERROR) return answer;
    at += 1 + length;
    if (type === READY) return answer.subarray(at);
  }
  return answer;
}
