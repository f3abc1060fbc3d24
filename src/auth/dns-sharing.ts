/**
 * DNS shared by every message a worker process checks, so slow or dead name servers cost the
 * process once, not once per message (40 messages whose SPF domain never answered each held a
 * worker slot for seconds, and a keyed message behind them waited 32 s):
 *
 * - answers are kept for a while: found records and "no such record" for five minutes (mail
 *   authentication reads no TTLs, and five minutes is below any sensible one for SPF and DKIM
 *   keys), failures and timeouts for one minute, so a dead domain is asked again soon but not by
 *   every message meanwhile;
 * - one question asked by several messages at once goes out once, and all of them get its answer;
 * - at most `concurrency` questions are in flight; a question waiting for a place, or unanswered
 *   after `lookupTimeoutMs` from when it was asked, fails as a timeout (a temporary error to
 *   mailauth) and gives its place back, even if the name server never answers.
 */
import type { DnsResolver } from './dns-resolver.ts';

export interface SharedResolverOptions {
  /** Questions in flight at once (DNS_CONCURRENCY). */
  readonly concurrency: number;
  /** A question unanswered after this long fails as a timeout, ms (the per-message budget). */
  readonly lookupTimeoutMs: number;
  /** How long answers and "no such record" are kept, ms (default 5 minutes). */
  readonly answerTtlMs?: number;
  /** How long a failure or timeout is kept, ms (default 1 minute). */
  readonly failureTtlMs?: number;
  /** Questions remembered at most; the oldest are forgotten first (default 10 000). */
  readonly maxEntries?: number;
  readonly now?: () => number;
}

type Answer = string[][] | string[];
type Kept = { readonly expires: number } & ({ readonly answer: Answer } | { readonly error: unknown });

/** What mailauth reads as "no such record": kept as long as an answer. */
const ABSENT = new Set(['ENOTFOUND', 'ENODATA']);

function codeOf(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
}

function timeout(question: string, ms: number): Error & { code: string } {
  return Object.assign(new Error(`DNS ${question} did not answer within ${ms} ms`), { code: 'ETIMEOUT' });
}

export function createSharedResolver(inner: DnsResolver, options: SharedResolverOptions): DnsResolver {
  const now = options.now ?? Date.now;
  const answerTtl = options.answerTtlMs ?? 300_000;
  const failureTtl = options.failureTtlMs ?? 60_000;
  const maxEntries = options.maxEntries ?? 10_000;
  const kept = new Map<string, Kept>();
  const inFlight = new Map<string, Promise<Answer>>();
  let busy = 0;
  const waiting: Array<() => void> = [];

  const keep = (question: string, entry: Kept) => {
    kept.delete(question);
    kept.set(question, entry);
    if (kept.size > maxEntries) kept.delete(kept.keys().next().value!);
  };
  const release = () => {
    busy--;
    waiting.shift()?.();
  };

  /** A place among the `concurrency`, or false when the deadline passes first. */
  const place = (deadline: Promise<void>): Promise<boolean> => {
    if (busy < options.concurrency) {
      busy++;
      return Promise.resolve(true);
    }
    return new Promise<boolean>((resolve) => {
      const take = () => {
        busy++;
        resolve(true);
      };
      waiting.push(take);
      void deadline.then(() => {
        const at = waiting.indexOf(take);
        if (at < 0) return;
        waiting.splice(at, 1);
        resolve(false);
      });
    });
  };

  const ask = async (question: string, name: string, rrtype: string): Promise<Answer> => {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, options.lookupTimeoutMs);
    });
    try {
      if (!(await place(deadline))) throw timeout(question, options.lookupTimeoutMs);
      let placed = true;
      const giveBack = () => {
        if (placed) release();
        placed = false;
      };
      try {
        const expired = deadline.then((): never => {
          throw timeout(question, options.lookupTimeoutMs);
        });
        expired.catch(() => {});
        const answer = await Promise.race([inner(name, rrtype), expired]);
        keep(question, { expires: now() + answerTtl, answer });
        return answer;
      } catch (error) {
        const ttl = ABSENT.has(codeOf(error) ?? '') ? answerTtl : failureTtl;
        keep(question, { expires: now() + ttl, error });
        throw error;
      } finally {
        giveBack();
      }
    } finally {
      clearTimeout(timer);
    }
  };

  return async (name, rrtype) => {
    const question = `${rrtype} ${name.toLowerCase().replace(/\.$/, '')}`;
    const known = kept.get(question);
    if (known && known.expires > now()) {
      if ('answer' in known) return known.answer;
      throw known.error;
    }
    const pending = inFlight.get(question);
    if (pending) return pending;
    const asked = ask(question, name, rrtype).finally(() => inFlight.delete(question));
    inFlight.set(question, asked);
    return asked;
  };
}
