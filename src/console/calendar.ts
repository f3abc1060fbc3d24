/**
 * Days and times from a query string or a page link, checked as PostgreSQL will read them: a
 * text JavaScript's Date.parse takes (`2026-02-30`, `Dec 7`, `1`) may still be one PostgreSQL
 * refuses, and a refused cast fails the whole statement.
 */

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

function isDayOf(year: number, month: number, day: number): boolean {
  if (year < 1 || month < 1 || month > 12 || day < 1) return false;
  // setUTCFullYear, not Date.UTC: that one reads the years 0-99 as 1900-1999.
  const lastDay = new Date(0);
  lastDay.setUTCFullYear(year, month, 0);
  return day <= lastDay.getUTCDate();
}

/** Whether `YYYY-MM-DD` names a day of the calendar (PostgreSQL has no year 0, no 30 February). */
export function isCalendarDay(text: string): boolean {
  const parts = DAY.exec(text);
  return parts !== null && isDayOf(Number(parts[1]), Number(parts[2]), Number(parts[3]));
}

/** A timestamptz as PostgreSQL prints it (`::text`, DateStyle ISO): `2026-12-07 20:46:42.123456+00`. */
const PRINTED_TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.\d{1,6})?[+-](\d{2})(?::(\d{2})){0,2}$/;

/** Whether a text is a timestamptz as PostgreSQL printed it, with a real day and time. */
export function isPrintedTimestamp(text: string): boolean {
  const parts = PRINTED_TIMESTAMP.exec(text);
  if (!parts) return false;
  const [hour, minute, second, offset] = [parts[4], parts[5], parts[6], parts[7]].map(Number) as [
    number,
    number,
    number,
    number,
  ];
  return (
    isDayOf(Number(parts[1]), Number(parts[2]), Number(parts[3])) &&
    hour < 24 &&
    minute < 60 &&
    second < 60 &&
    offset <= 15
  );
}
