/**
 * Answering one WHOIS query line from the directory: the text sent back, and what kind of
 * query it was and how it ended (for the metrics).
 */
import type { Executor } from '../db/index.ts';
import { formatRange, unmapIpv4 } from '../ip/index.ts';
import {
  customerByHandle,
  netByHandle,
  netsByName,
  netsForRange,
  orgByHandle,
  pocByHandle,
  SEARCH_LIMIT,
  searchEntities,
} from './directory.ts';
import type { QueryKind, QueryOutcome } from './metrics.ts';
import type { NetMatch, PublicEntity, PublicNet } from './views.ts';
import {
  customerBlock,
  entitySummary,
  netBlock,
  netSummary,
  oneLine,
  orgBlock,
  pocBlock,
  pocLinkBlocks,
  type WhoisLinks,
  whoisAnswer,
} from './whois-format.ts';
import { parseWhoisQuery, WHOIS_HELP, type WhoisQuery } from './whois-query.ts';

export interface WhoisAnswer {
  readonly text: string;
  readonly kind: QueryKind;
  readonly outcome: QueryOutcome;
}

const HEADER = [
  '#',
  '# hostmasterd WHOIS: what the registry holds now, as templates left it.',
  '# Send ? for the query syntax. The same data in JSON: RDAP, see the Ref: lines.',
  '#',
];

export function whoisText(blocks: readonly (readonly string[])[], ...notes: string[]): string {
  return whoisAnswer(
    HEADER,
    blocks,
    notes.map((n) => `# ${oneLine(n)}`),
  );
}

export async function answerWhois(db: Executor, line: string, links: WhoisLinks): Promise<WhoisAnswer> {
  const query = parseWhoisQuery(line);
  switch (query.kind) {
    case 'help':
      return { text: whoisText([WHOIS_HELP.map((l) => `# ${l}`)]), kind: 'help', outcome: 'found' };
    case 'bad':
      return {
        text: whoisText([], `Query not understood: ${query.reason}.`),
        kind: 'other',
        outcome: 'bad_query',
      };
    case 'asn':
      return {
        text: whoisText([], `No match found for ${query.text}: no autonomous systems are registered here.`),
        kind: 'other',
        outcome: 'not_found',
      };
    case 'net-range':
    case 'net-handle': {
      const match =
        query.kind === 'net-range'
          ? await netsForRange(db, query.range)
          : await netByHandle(db, query.handle);
      // An IPv4-mapped question is answered as the IPv4 range it names, found or not.
      const asked = query.kind === 'net-range' ? formatRange(unmapIpv4(query.range)) : query.handle;
      if (!match) return notFound('net', asked);
      return {
        text: whoisText(await netBlocks(db, match, query.full, links)),
        kind: 'net',
        outcome: 'found',
      };
    }
    case 'org':
    case 'poc':
    case 'customer': {
      const entity = await entityByHandle(db, query.kind, query.handle);
      if (!entity) return notFound(query.kind, query.handle);
      return { text: whoisText(entityBlocks(entity, links)), kind: query.kind, outcome: 'found' };
    }
    case 'name':
      return answerName(db, query, links);
  }
}

function notFound(kind: QueryKind, asked: string): WhoisAnswer {
  return { text: whoisText([], `No match found for ${asked}.`), kind, outcome: 'not_found' };
}

export async function entityByHandle(
  db: Executor,
  kind: 'org' | 'poc' | 'customer',
  handle: string,
): Promise<PublicEntity | undefined> {
  if (kind === 'org') return orgByHandle(db, handle);
  if (kind === 'poc') return pocByHandle(db, handle);
  return customerByHandle(db, handle);
}

/** The nets least specific first (as ARIN lists them), then with `+` the holder and the POCs of the most specific. */
async function netBlocks(
  db: Executor,
  match: NetMatch,
  full: boolean,
  links: WhoisLinks,
): Promise<string[][]> {
  const nets: PublicNet[] = [...match.parents].reverse().concat(match.net);
  const blocks = nets.map((net) => netBlock(net, links));
  if (!full) return blocks;
  const net = match.net;
  const holder = net.holder ? await entityByHandle(db, net.holder.kind, net.holder.handle) : undefined;
  return [
    ...blocks,
    ...(holder ? entityBlocks(holder, links) : []),
    ...pocLinkBlocks('Net', net.pocs, links),
  ];
}

function entityBlocks(entity: PublicEntity, links: WhoisLinks): string[][] {
  switch (entity.kind) {
    case 'org':
      return [orgBlock(entity, links), ...pocLinkBlocks('Org', entity.pocs, links)];
    case 'poc':
      return [pocBlock(entity, links)];
    case 'customer':
      return [customerBlock(entity, links)];
  }
}

async function answerName(
  db: Executor,
  query: Extract<WhoisQuery, { kind: 'name' }>,
  links: WhoisLinks,
): Promise<WhoisAnswer> {
  const only = query.only;
  const [found, named] = await Promise.all([
    only === 'net'
      ? { entities: [], truncated: false }
      : searchEntities(db, { by: 'name', text: query.text, prefix: query.prefix, ...(only ? { only } : {}) }),
    only === undefined || only === 'net'
      ? netsByName(db, query.text, query.prefix)
      : { nets: [], truncated: false },
  ]);
  const entities = found.entities;
  const asked = `${query.text}${query.prefix ? '*' : ''}`;
  const kind: QueryKind = only === 'net' ? 'net' : 'search';
  if (entities.length + named.nets.length === 0) return notFound(kind, asked);
  const truncated = found.truncated || named.truncated;
  if (!truncated && entities.length === 1 && named.nets.length === 0) {
    return { text: whoisText(entityBlocks(entities[0]!, links)), kind, outcome: 'found' };
  }
  if (!truncated && entities.length === 0 && named.nets.length === 1) {
    // One net: answered as its handle is, with the nets above it.
    const match = await netByHandle(db, named.nets[0]!.handle);
    if (match)
      return { text: whoisText(await netBlocks(db, match, query.full, links)), kind, outcome: 'found' };
  }
  const list = [...named.nets.map(netSummary), ...entities.map((e) => entitySummary(e))];
  const notes = truncated ? [`More than ${SEARCH_LIMIT} matched; ask for a longer name or a handle.`] : [];
  return { text: whoisText([list], ...notes), kind, outcome: 'found' };
}
