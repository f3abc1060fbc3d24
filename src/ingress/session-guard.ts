/**
 * What keeps one client from holding the SMTP ingress: a cap on connections per client address,
 * a deadline on the whole session, a deadline on each command, and a cap on refused commands.
 * The cap on all sessions is counted here too, over admitted sessions only: smtp-server's
 * maxClients also counted connections from a flooding address in the 100 ms before they are
 * refused, so a burst of them turned everyone else away.
 *
 * smtp-server's own idle timeout restarts on every byte, so a client sending one byte every
 * 25 s kept a connection for ever, and a hundred such connections kept every other sender at
 * `421 Too many connected clients`. Here the client's turn starts with each of our replies and
 * it has `idleTimeoutMs` to finish its next command however it trickles it; the whole session
 * ends after `sessionTimeoutMs`. While we are working on a command (storing a message) the
 * client is waiting for us, so neither counts against it: the session deadline waits for our
 * answer and cuts right after it.
 *
 * The session is reached through smtp-server's public `connections` set and each connection's
 * `send`, which every reply passes through (our refusals and smtp-server's own: syntax, sequence,
 * unknown commands), so the guard sees them all and counts the refusals.
 */
import type { Logger } from 'pino';
import type { SMTPServer, SMTPServerError, SMTPServerSession } from 'smtp-server';
import { clientKey } from '../ip/index.ts';
import type { ErrorCode } from '../shared/index.ts';

type Connection = SMTPServer['connections'] extends Set<infer C> ? C : never;

export interface SessionGuardOptions {
  /** Sessions at once from everyone (smtp-server's maxClients also counted connections about to be refused). */
  readonly maxConnections: number;
  readonly maxConnectionsPerClient: number;
  readonly sessionTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly maxRefusedCommands: number;
  readonly logger: Logger;
  /** Counts each connection the guard refuses or cuts, with why (an E_ code) and the SMTP code. */
  readonly onRefusal?: (reason: ErrorCode, smtpCode: number) => void;
}

interface Guarded {
  readonly key: string;
  readonly connection: Connection;
  /** The reply function smtp-server gave the connection, before the guard wrapped it. */
  readonly send: Connection['send'];
  readonly deadline: NodeJS.Timeout;
  turn: NodeJS.Timeout | undefined;
  /** Our handlers running for this session: the client is waiting for us. */
  working: number;
  /** The session deadline passed while we were working: cut right after our answer. */
  overdue: boolean;
  refused: number;
  ended: boolean;
  /** Replies held in the socket (corked) until the commands the client sent with them are answered too. */
  corked: { readonly socket: Connection['_socket'] } | undefined;
}

/**
 * Replies that may wait for the others of their batch: a pipelining client (RFC 2920) sends MAIL
 * FROM, RCPT TO and DATA at once, and their answers went out in a write each. Any other reply
 * (220 before a TLS upgrade, 221 and 421 before a close, refusals) flushes what waits and goes at once.
 */
function mayWaitForBatch(code: number): boolean {
  return code === 250 || code === 354;
}

/**
 * A reply that refuses what the client asked, for good (5xx) or for now (4xx: a client asking
 * again and again after "over the limit, try later" is not waiting as it was told). 421 ends the
 * session anyway.
 */
function isRefusal(code: number): boolean {
  return code >= 450 && code !== 421;
}

export function smtpError(
  code: number,
  text: string,
  reason: ErrorCode,
): SMTPServerError & { reason: ErrorCode } {
  const error = Object.assign(new Error(text) as SMTPServerError, { reason });
  error.responseCode = code;
  return error;
}

export class SessionGuards {
  private readonly sessions = new Map<string, Guarded>();
  private readonly perClient = new Map<string, number>();

  /** `connections`: the server's open connections (smtp-server's public set), read when a session starts. */
  constructor(
    private readonly connections: () => SMTPServer['connections'],
    private readonly options: SessionGuardOptions,
  ) {}

  /** onConnect: undefined when the session may start (it is then guarded), else the 421 to refuse it with. */
  admit(session: SMTPServerSession): SMTPServerError | undefined {
    const key = clientKey(session.remoteAddress);
    const open = this.perClient.get(key) ?? 0;
    if (open >= this.options.maxConnectionsPerClient) {
      this.options.logger.warn({ client: key, open }, 'smtp connection refused: too many from one client');
      this.options.onRefusal?.('E_TOO_MANY_CONNECTIONS', 421);
      return smtpError(
        421,
        `4.7.0 ${open} connections from ${key} are open, the limit; please try again later`,
        'E_TOO_MANY_CONNECTIONS',
      );
    }
    if (this.sessions.size >= this.options.maxConnections) {
      this.options.logger.warn({ open: this.sessions.size }, 'smtp connection refused: the ingress is full');
      this.options.onRefusal?.('E_INGRESS_FULL', 421);
      return smtpError(
        421,
        '4.7.0 Too many connected clients; please try again in a moment',
        'E_INGRESS_FULL',
      );
    }
    const connection = this.connectionOf(session);
    if (!connection) return undefined;
    this.perClient.set(key, open + 1);
    const deadline = setTimeout(() => this.sessionOver(session.id), this.options.sessionTimeoutMs);
    deadline.unref();
    const state: Guarded = {
      key,
      connection,
      send: connection.send.bind(connection),
      deadline,
      turn: undefined,
      working: 0,
      overdue: false,
      refused: 0,
      ended: false,
      corked: undefined,
    };
    this.sessions.set(session.id, state);
    connection.send = (code, data, context) => this.reply(state, code, data, context);
    return undefined;
  }

  /** Runs our handler's work with the client's clocks stopped: it is waiting for us. */
  async working<T>(session: SMTPServerSession, work: () => Promise<T>): Promise<T> {
    const state = this.sessions.get(session.id);
    if (state) state.working++;
    try {
      return await work();
    } finally {
      if (state) state.working--;
    }
  }

  /** Answers 421 with `text` and closes the session now (a message too slow, no room for it). */
  cut(session: SMTPServerSession, text: string, reason: ErrorCode): void {
    const state = this.sessions.get(session.id);
    if (state) this.end(state, text, reason);
  }

  /** onClose: the connection is gone, its count and clocks go with it. */
  release(session: SMTPServerSession): void {
    const state = this.sessions.get(session.id);
    if (!state) return;
    this.sessions.delete(session.id);
    this.stopClocks(state);
    state.ended = true;
    const open = (this.perClient.get(state.key) ?? 1) - 1;
    if (open > 0) this.perClient.set(state.key, open);
    else this.perClient.delete(state.key);
  }

  /** Open guarded connections from the client `remoteAddress` counts as. */
  openFrom(remoteAddress: string): number {
    return this.perClient.get(clientKey(remoteAddress)) ?? 0;
  }

  private connectionOf(session: SMTPServerSession): Connection | undefined {
    for (const connection of this.connections()) {
      if (connection.session === session) return connection;
    }
    return undefined;
  }

  private reply(
    state: Guarded,
    code: number,
    data?: string | string[] | null,
    context?: string | false,
  ): void {
    if (state.ended) {
      this.flush(state);
      state.send(code, data, context);
      return;
    }
    if (isRefusal(code) && ++state.refused >= this.options.maxRefusedCommands) {
      this.end(
        state,
        `4.7.0 ${state.refused} commands were refused on this connection, the limit; closing it`,
        'E_TOO_MANY_REFUSALS',
      );
      return;
    }
    if (mayWaitForBatch(code)) this.holdForBatch(state);
    else this.flush(state);
    state.send(code, data, context);
    if (code === 421) {
      state.ended = true;
      this.stopClocks(state);
      return;
    }
    if (state.overdue && state.working === 0) {
      this.end(state, this.sessionOverText(), 'E_SESSION_TIMEOUT');
      return;
    }
    // After 354 the message itself is coming: its pace is watched by the DATA handler instead.
    if (code === 354) this.stopTurn(state);
    else this.startTurn(state);
  }

  /**
   * Corks the socket until this turn of the event loop is over: the replies written meanwhile (the
   * answers to one pipelined batch) leave in one write, one system call instead of three.
   */
  private holdForBatch(state: Guarded): void {
    if (state.corked) return;
    const socket = state.connection._socket;
    socket.cork();
    state.corked = { socket };
    setImmediate(() => this.flush(state));
  }

  private flush(state: Guarded): void {
    const held = state.corked;
    if (!held) return;
    state.corked = undefined;
    held.socket.uncork();
  }

  private startTurn(state: Guarded): void {
    this.stopTurn(state);
    state.turn = setTimeout(() => this.turnOver(state), this.options.idleTimeoutMs);
    state.turn.unref();
  }

  private stopTurn(state: Guarded): void {
    if (state.turn) clearTimeout(state.turn);
    state.turn = undefined;
  }

  private turnOver(state: Guarded): void {
    if (state.ended) return;
    if (state.working > 0) {
      this.startTurn(state);
      return;
    }
    this.end(
      state,
      `4.4.2 No complete command within ${seconds(this.options.idleTimeoutMs)}; closing connection`,
      'E_COMMAND_TIMEOUT',
    );
  }

  private sessionOver(id: string): void {
    const state = this.sessions.get(id);
    if (!state || state.ended) return;
    if (state.working > 0) {
      state.overdue = true;
      return;
    }
    this.end(state, this.sessionOverText(), 'E_SESSION_TIMEOUT');
  }

  private sessionOverText(): string {
    return `4.4.2 This session has lasted ${seconds(this.options.sessionTimeoutMs)}, the limit; please reconnect to send more`;
  }

  private end(state: Guarded, text: string, reason: ErrorCode): void {
    if (state.ended) return;
    state.ended = true;
    this.stopClocks(state);
    this.options.logger.info(
      { session: state.connection.id, client: state.key, reason },
      'smtp session closed by the ingress',
    );
    this.options.onRefusal?.(reason, 421);
    this.flush(state);
    // smtp-server closes the connection after sending a 421.
    state.send(421, text, false);
  }

  private stopClocks(state: Guarded): void {
    clearTimeout(state.deadline);
    this.stopTurn(state);
  }
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}
