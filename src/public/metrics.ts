/**
 * What the public services count: each query by protocol, kind and outcome. The labels come
 * from these closed lists, never from what a client asked (a series per address asked would
 * grow without bound).
 */
export const PUBLIC_PROTOCOLS = ['whois', 'rdap'] as const;
export type PublicProtocol = (typeof PUBLIC_PROTOCOLS)[number];

export const QUERY_KINDS = [
  'net',
  'org',
  'poc',
  'customer',
  'entity',
  'search',
  'help',
  'templates',
  'other',
] as const;
export type QueryKind = (typeof QUERY_KINDS)[number];

export const QUERY_OUTCOMES = ['found', 'not_found', 'bad_query', 'rate_limited', 'error'] as const;
export type QueryOutcome = (typeof QUERY_OUTCOMES)[number];

/** The daemon hands the observability room's counter in; tests may count on their own. */
export interface PublicMetrics {
  queryAnswered(protocol: PublicProtocol, kind: QueryKind, outcome: QueryOutcome): void;
}
