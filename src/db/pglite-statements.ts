/**
 * PGlite's queries as named statements, in one call into its PostgreSQL each.
 *
 * PGlite's own `query()` sends every statement unnamed and in five separate calls into the
 * WebAssembly PostgreSQL (Parse, Describe statement, Bind, Describe portal, Execute, then Sync),
 * each with its own protocol parsing in JavaScript; PostgreSQL parses and plans the text anew
 * every time. The worker sends the same few dozen statements for every template, as it does to
 * a PostgreSQL server, where the statement cache (statement-cache.ts) names them for the same
 * reason. Here the first run of a text names it (Parse and Describe, once per text and
 * process: PGlite is one connection that lives as long as the process), and every run sends
 * Bind, Execute and Sync together. The embedded daemon's CPU per message under the bench's
 * burst went from 52 to 31 ms (interleaved runs; bench/results/cli-profile.md, item 4).
 *
 * Results are built by PGlite's own parseResults from the statement's row description, with
 * PGlite's parsers and serializers (ours for bytea among them), so drizzle sees what it saw.
 * Statements keep running one at a time, under PGlite's own locks, exactly as `query()` takes
 * them: a query outside a transaction waits for the transaction in progress.
 *
 * Protocol-level statements are not undone by a rollback, and PostgreSQL re-plans a named
 * statement when a table it reads changes. Bounded: texts that vary without end stop being
 * named at MAX_NAMED (256) and run through PGlite's own `query()` as before.
 */
import {
  type PGlite,
  parse as pgliteParse,
  protocol,
  type QueryOptions,
  type Results,
  type Transaction,
} from '@electric-sql/pglite';

/**
 * As many texts as the statement cache names per PostgreSQL connection: above the texts the
 * daemon sends, and each named statement's plans stay in PGlite's memory, which never shrinks.
 */
const MAX_NAMED = 256;
/** Longer texts are rare (none of ours) and not worth keeping. */
const MAX_TEXT_LENGTH = 16_384;
/** A Bind this large is sent on its own rather than copied into one buffer with Execute and Sync. */
const JOIN_LIMIT = 64 * 1024;

type BackendMessage = Parameters<typeof pgliteParse.parseResults>[0][number];

interface Named {
  readonly name: string;
  /** The parameters' type oids, as PostgreSQL inferred them. */
  readonly parameterTypes: readonly number[];
  /** Absent for statements that return no rows. */
  readonly rowDescription: BackendMessage | undefined;
}

type Query = <T>(text: string, params?: unknown[], options?: QueryOptions) => Promise<Results<T>>;

/** The parts of PGlite's class this file relies on: its locks, its codecs (public, if underscored). */
interface PGliteInternals {
  _runExclusiveTransaction<T>(fn: () => Promise<T>): Promise<T>;
  runExclusive<T>(fn: () => Promise<T>): Promise<T>;
  serializers: Record<number, (value: unknown) => string>;
  parsers: PGlite['parsers'];
}

function joined(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** What parseResults reads of the options besides the parsers, which parsersFor merged. */
function rowModeOf(options: QueryOptions | undefined): QueryOptions | undefined {
  return options?.rowMode ? { rowMode: options.rowMode } : undefined;
}

/** PGlite's errors carry the statement and its parameters; so do these. */
function withStatement(error: unknown, text: string, params: unknown[], options: QueryOptions | undefined) {
  if (error instanceof Error && 'code' in error) {
    Object.assign(error, { query: text, params, queryOptions: options });
  }
  return error;
}

/**
 * Makes `client.query()` and the `query()` of its transactions send named statements. Called
 * once, on a client that nothing else has queried concurrently yet (right after opening).
 */
export function useNamedStatements(client: PGlite, limits: { readonly maxNamed?: number } = {}): void {
  const maxNamed = limits.maxNamed ?? MAX_NAMED;
  const pg = client as unknown as PGlite & PGliteInternals;
  const named = new Map<string, Named>();
  const plainQuery: Query = pg.query.bind(pg);
  const plainTransaction = pg.transaction.bind(pg);
  const { serialize } = protocol;

  async function describe(text: string): Promise<Named | undefined> {
    const known = named.get(text);
    if (known || named.size >= maxNamed || text.length > MAX_TEXT_LENGTH) return known;
    const name = `hm_l_${named.size + 1}`;
    const { messages } = await pg.execProtocol(
      joined([serialize.parse({ name, text }), serialize.describe({ type: 'S', name }), serialize.sync()]),
      { syncToFs: false },
    );
    const parameters = messages.find((m) => m.name === 'parameterDescription') as
      | { dataTypeIDs: number[] }
      | undefined;
    const statement: Named = {
      name,
      parameterTypes: parameters?.dataTypeIDs ?? [],
      rowDescription: messages.find((m) => m.name === 'rowDescription'),
    };
    named.set(text, statement);
    return statement;
  }

  /**
   * PGlite's parsers with the caller's over them. parseResults, given the caller's, copies all
   * of PGlite's (one per type and array type, ~150) into a new object for every query: 4.5% of
   * the embedded daemon's CPU under the bench, as drizzle passes its own for every query. Looked
   * up through the prototype instead, only the caller's few are copied.
   */
  function parsersFor(options: QueryOptions | undefined): PGlite['parsers'] {
    if (!options?.parsers) return pg.parsers;
    return Object.assign(Object.create(pg.parsers) as PGlite['parsers'], options.parsers);
  }

  /** Runs under PGlite's query lock; undefined when the text is not to be named. */
  async function run<T>(
    text: string,
    params: unknown[],
    options: QueryOptions | undefined,
  ): Promise<Results<T> | undefined> {
    const statement = await describe(text);
    if (!statement) return undefined;
    const values = params.map((value, i) => {
      if (value === null || value === undefined) return null;
      const type = statement.parameterTypes[i]!;
      const serializer = options?.serializers?.[type] ?? pg.serializers[type];
      return serializer ? serializer(value) : String(value);
    });
    const bind = serialize.bind({ statement: statement.name, values });
    const send = { syncToFs: false, ...(options?.onNotice ? { onNotice: options.onNotice } : {}) };
    let messages: BackendMessage[];
    if (bind.length <= JOIN_LIMIT) {
      ({ messages } = await pg.execProtocol(joined([bind, serialize.execute({}), serialize.sync()]), send));
    } else {
      // A large message's bytes are not copied once more. PostgreSQL keeps the bound portal
      // until Execute, as between PGlite's own calls; after an error in Bind it skips to Sync.
      const bound = await pg.execProtocol(bind, { ...send, throwOnError: false });
      const executed = await pg.execProtocol(joined([serialize.execute({}), serialize.sync()]), send);
      const refused = bound.messages.find((m) => m.name === 'error');
      if (refused) throw refused;
      messages = [...bound.messages, ...executed.messages];
    }
    const all = statement.rowDescription ? [statement.rowDescription, ...messages] : messages;
    return pgliteParse.parseResults(all, parsersFor(options), rowModeOf(options))[0] as Results<T>;
  }

  /** What PGlite's own query() cannot be replaced for: COPY blobs, types given by the caller. */
  const namable = (options: QueryOptions | undefined) => !options?.blob && !options?.paramTypes;

  /** Runs `text` named, under PGlite's query lock; undefined when it is not to be named. */
  async function runNamed<T>(
    text: string,
    params: unknown[],
    options: QueryOptions | undefined,
  ): Promise<Results<T> | undefined> {
    try {
      return await pg.runExclusive(() => run<T>(text, params, options));
    } catch (error) {
      throw withStatement(error, text, params, options);
    }
  }

  const query: Query = async <T>(text: string, params: unknown[] = [], options?: QueryOptions) => {
    if (pg.closed || !namable(options)) return await plainQuery<T>(text, params, options);
    // As PGlite's query(): not while a transaction runs, and the file system synced after.
    const result = await pg._runExclusiveTransaction(() => runNamed<T>(text, params, options));
    if (result === undefined) return await plainQuery<T>(text, params, options);
    await pg.syncToFs();
    return result;
  };

  function inTransaction(tx: Transaction): Transaction {
    const plain: Query = tx.query.bind(tx);
    const fast = Object.create(tx) as Transaction;
    fast.query = async <T>(text: string, params: unknown[] = [], options?: QueryOptions) => {
      if (tx.closed) throw new Error('Transaction is closed');
      if (!namable(options)) return await plain<T>(text, params, options);
      return (await runNamed<T>(text, params, options)) ?? (await plain<T>(text, params, options));
    };
    return fast;
  }

  pg.query = query as PGlite['query'];
  pg.transaction = (<T>(callback: (tx: Transaction) => Promise<T>) =>
    plainTransaction((tx) => callback(inTransaction(tx)))) as PGlite['transaction'];
}
