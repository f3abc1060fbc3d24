/**
 * "Is this POC due?" as the one SQL condition the round mails by and the console counts by, so
 * the console's "due" is what the next round would mail. rules.ts `isDue` says the same rule on
 * values; test/validation/due.test.ts holds the two to the same answers.
 */
import { and, type SQL, sql } from 'drizzle-orm';
import { tables } from '../db/index.ts';
import { addDays, VALIDITY_DAYS } from './rules.ts';

const { pocs } = tables;

/** A year or more since the POC's last validation (or its creation): where looking for due ones starts. */
export function yearSinceValidation(asOf: Date): SQL {
  return sql`coalesce(${pocs.validatedAt}, ${pocs.createdAt}) <= ${addDays(asOf, -VALIDITY_DAYS)}`;
}

/**
 * Due as of `asOf`: a year since its last validation (or creation), not asked within that year
 * (an invalid POC, whose mail went unanswered, is asked again a year after it was), and an
 * address to write to. A POC still `pending` whose answer period ended is due when its mail is a
 * year old: the round first makes it invalid, then asks again.
 */
export function dueCondition(asOf: Date): SQL {
  return and(
    yearSinceValidation(asOf),
    sql`cardinality(${pocs.emails}) > 0`,
    sql`not exists (select 1 from poc_validations v where v.poc_handle = ${pocs.handle} and v.sent_at > ${addDays(asOf, -VALIDITY_DAYS)})`,
  )!;
}
