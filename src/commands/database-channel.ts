/**
 * The embedded database (PGlite) has one owner, the process holding its lock: while a daemon
 * runs, `seed`, `demo`, `staff` and `validation run` cannot open it. So the daemon that owns it takes their work
 * (database-operations.ts) on a unix socket of its own, DATA_DIR/control/commands.sock: HTTP,
 * `POST /operations/<name>` with a JSON body, a Result as JSON in answer. The socket lies in a
 * directory only the daemon's user may enter, so the file permissions are the authentication,
 * and with no port nothing off the machine (nor a web page in a browser) can reach it. Everything
 * else (`migrate`, a second `start`) still refuses with E_DATABASE_LOCKED.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { Config } from '../config/index.ts';
import { type Database, openDatabase } from '../db/index.ts';
import {
  fail,
  type Logger,
  type Problem,
  ProblemError,
  problem,
  type Result,
  silentLogger,
} from '../shared/index.ts';
import {
  DATABASE_OPERATIONS,
  isOperationName,
  type OperationContext,
  type OperationInputs,
  type OperationName,
  type OperationOutputs,
} from './database-operations.ts';

/** A seed file of a whole registry fits; more is no command's request. */
const MAX_REQUEST_BYTES = 64 * 1024 * 1024;
/** How long a command waits for the socket of a daemon that holds the lock but is still starting. */
const DAEMON_START_WAIT_MS = 15_000;

export function commandSocketPath(config: Config): string {
  return path.join(config.dataDir, 'control', 'commands.sock');
}

export interface OperationAnswer<N extends OperationName> {
  readonly result: Result<OperationOutputs[N]>;
  /** Which database answered, for the command's output. */
  readonly where: string;
}

/**
 * Runs an operation on the configured database: opened here when it is free (or PostgreSQL),
 * else, the embedded one being a running daemon's, by that daemon. Throws a ProblemError when
 * neither can be done (the database cannot be opened; the daemon does not answer).
 */
export async function onDatabase<N extends OperationName>(
  config: Config,
  name: N,
  input: OperationInputs[N],
  logger: Logger = silentLogger(),
): Promise<OperationAnswer<N>> {
  let handle: Awaited<ReturnType<typeof openDatabase>>;
  try {
    handle = await openDatabase(config.database);
  } catch (error) {
    const locked = error instanceof ProblemError && error.problem.code === 'E_DATABASE_LOCKED';
    if (!locked || config.database.kind !== 'pglite') throw error;
    return {
      result: await askDaemon(config, name, input, error.problem),
      where: 'the embedded database, through the running hostmasterd',
    };
  }
  try {
    const result = await DATABASE_OPERATIONS[name]({ db: handle.db, config, logger }, input);
    return { result, where: handle.kind === 'pglite' ? 'the embedded database' : 'the PostgreSQL database' };
  } finally {
    await handle.close();
  }
}

async function askDaemon<N extends OperationName>(
  config: Config,
  name: N,
  input: OperationInputs[N],
  locked: Problem,
): Promise<Result<OperationOutputs[N]>> {
  const socketPath = commandSocketPath(config);
  const deadline = Date.now() + DAEMON_START_WAIT_MS;
  for (;;) {
    try {
      return (await postOperation(socketPath, name, input)) as Result<OperationOutputs[N]>;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const starting = code === 'ENOENT' || code === 'ECONNREFUSED';
      if (starting && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        continue;
      }
      throw new ProblemError(
        problem(
          'E_DAEMON_UNREACHABLE',
          `${locked.message}; it takes no commands on ${socketPath} (${(error as Error).message})`,
        ),
      );
    }
  }
}

/** One request on the socket; resolves with the daemon's Result, rejects when it cannot be had. */
function postOperation(socketPath: string, name: OperationName, input: unknown): Promise<Result<unknown>> {
  const body = Buffer.from(JSON.stringify(input));
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        socketPath,
        method: 'POST',
        path: `/operations/${name}`,
        headers: { 'content-type': 'application/json', 'content-length': body.length },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          try {
            resolve(readAnswer(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
          } catch (error) {
            reject(error);
          }
        });
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

function readAnswer(value: unknown): Result<unknown> {
  const answer = value as { ok?: unknown; value?: unknown; error?: { code?: unknown; message?: unknown } };
  if (answer?.ok === true) return { ok: true, value: answer.value };
  const code = typeof answer?.error?.code === 'string' ? answer.error.code : '';
  const message = typeof answer?.error?.message === 'string' ? answer.error.message : '';
  if (answer?.ok === false && /^E_[A-Z0-9_]+$/.test(code) && message) {
    return fail(problem(code as Problem['code'], message));
  }
  throw new Error('the daemon answered something that is not a result');
}

export interface CommandSocket {
  readonly path: string;
  close(): Promise<void>;
}

/**
 * Serves the operations on `socketPath` for the daemon that owns `db`. The directory is made
 * the daemon user's alone (0700; refused when it is a link or someone else's); a socket left by
 * a daemon that died is replaced (the lock says none is running).
 */
export async function serveCommandSocket(options: {
  readonly db: Database;
  readonly config: Config;
  readonly socketPath: string;
  readonly logger: Logger;
}): Promise<CommandSocket> {
  const { db, config, socketPath, logger } = options;
  privateDirectory(path.dirname(socketPath));
  removeStaleSocket(socketPath);
  const server = http.createServer((request, response) => {
    answer({ db, config, logger }, request).then(
      ({ status, body }) => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(JSON.stringify(body));
      },
      (error: unknown) => {
        logger.error({ err: error }, 'a command on the command socket failed');
        response.writeHead(500, { 'content-type': 'application/json' });
        response.end(JSON.stringify(fail(problem('E_INTERNAL', (error as Error).message))));
      },
    );
  });
  // A seed file of a whole registry may take minutes to load; the client is this user's own.
  server.requestTimeout = 0;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => {
      server.off('error', reject);
      resolve();
    });
  });
  fs.chmodSync(socketPath, 0o600);
  return {
    path: socketPath,
    close: async () => {
      server.closeIdleConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      fs.rmSync(socketPath, { force: true });
    },
  };
}

async function answer(
  context: OperationContext,
  request: http.IncomingMessage,
): Promise<{ status: number; body: Result<unknown> }> {
  const name = /^\/operations\/([a-z-]+)$/.exec(request.url ?? '')?.[1] ?? '';
  if (request.method !== 'POST' || !isOperationName(name)) {
    request.resume();
    return {
      status: 404,
      body: fail(problem('E_BAD_REQUEST', `no operation ${request.method} ${request.url}`)),
    };
  }
  const text = await readBody(request);
  if (text === undefined) {
    return { status: 413, body: fail(problem('E_BAD_REQUEST', `more than ${MAX_REQUEST_BYTES} bytes`)) };
  }
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch {
    return { status: 400, body: fail(problem('E_BAD_REQUEST', 'the request is not JSON')) };
  }
  context.logger.info({ operation: name }, 'running a command for the command line');
  return { status: 200, body: await DATABASE_OPERATIONS[name](context, input) };
}

/** The body as text, or undefined once it passes the limit (the rest is read and dropped). */
async function readBody(request: http.IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size <= MAX_REQUEST_BYTES) chunks.push(chunk as Buffer);
  }
  return size > MAX_REQUEST_BYTES ? undefined : Buffer.concat(chunks).toString('utf8');
}

function privateDirectory(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stat = fs.lstatSync(dir);
  const mine = process.getuid === undefined || stat.uid === process.getuid();
  if (!stat.isDirectory() || !mine) {
    throw new ProblemError(
      problem('E_COMMAND_SOCKET', `${dir} must be a directory of this user's own (not a link)`),
    );
  }
  fs.chmodSync(dir, 0o700);
}

function removeStaleSocket(socketPath: string): void {
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(socketPath);
  } catch {
    return;
  }
  if (!stat.isSocket()) {
    throw new ProblemError(problem('E_COMMAND_SOCKET', `${socketPath} exists and is not a socket`));
  }
  fs.rmSync(socketPath);
}
