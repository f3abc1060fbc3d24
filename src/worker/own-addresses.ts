/**
 * The addresses an account has proven its own: those registered for it (account_emails, set by
 * staff) and those a validation mail about one of its POCs went to and was answered from with its
 * token (by mail or on the web page) - the addresses as they were then, not as a later POC M left
 * them. Mail to these is not counted against the account's bound on strangers
 * (STRANGER_LIMIT_PER_ACCOUNT_PER_HOUR).
 *
 * A token proves only that someone who read the validation mail answered, not which of its
 * recipients: so the address proven is the one the answer came from (DKIM or SPF verified,
 * `answered_from`), or the mail's only recipient when it went to one address. A mail to five
 * addresses answered by one of them, or on the web page, proves nothing of the other four
 * (finding rev-trust F3).
 */
import { and, eq, inArray } from 'drizzle-orm';
import { type Executor, tables } from '../db/index.ts';
import { mailboxKey } from '../replies/index.ts';

/** The account's proven addresses, as mailbox keys (every spelling of one mailbox is one). */
export async function provenAddressesOf(ex: Executor, accountId: number): Promise<Set<string>> {
  const registered = await ex
    .select({ email: tables.accountEmails.email })
    .from(tables.accountEmails)
    .where(eq(tables.accountEmails.accountId, accountId));
  const pocs = ex
    .select({ handle: tables.accountPocs.pocHandle })
    .from(tables.accountPocs)
    .where(eq(tables.accountPocs.accountId, accountId));
  const validated = await ex
    .select({
      recipients: tables.pocValidations.recipients,
      answeredFrom: tables.pocValidations.answeredFrom,
    })
    .from(tables.pocValidations)
    .where(
      and(
        eq(tables.pocValidations.state, 'validated'),
        inArray(tables.pocValidations.answeredBy, ['mail', 'web']),
        inArray(tables.pocValidations.pocHandle, pocs),
      ),
    );
  return new Set([...registered.map((r) => r.email), ...validated.flatMap(answererOf)].map(mailboxKey));
}

/** The recipient a validation's answer proves read the mail (see the file comment). */
function answererOf(v: { recipients: readonly string[]; answeredFrom: string | null }): readonly string[] {
  if (v.answeredFrom) return [v.answeredFrom];
  return v.recipients.length === 1 ? v.recipients : [];
}
