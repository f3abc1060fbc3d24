/**
 * The daemon's Prometheus metrics, one registry per process. The other rooms never import
 * prom-client: each declares a small hook interface of its own (IngressMetrics, WorkerMetrics,
 * OutboxMetrics) and the daemon hands them the matching part of `DaemonMetrics`, so counting
 * stays a one-line call where the event happens.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { RELAY_FAULTS } from '../shared/index.ts';

/** What the SMTP ingress reports: every accepted message and every refused command, by reason. */
export interface IngressCounters {
  messageAccepted(duplicate: boolean): void;
  messageRefused(reason: string, smtpCode: number): void;
}

/** What the worker reports: each template's form and outcome, and each job's duration. */
export interface WorkerCounters {
  templateHandled(form: string, outcome: string): void;
  jobFinished(seconds: number, ok: boolean): void;
  /** The annual POC validation: a mail queued (`sent`), `answered`, `expired` unanswered, `bounced`. */
  validationEvent(event: string): void;
}

/** What the outbox sender reports: replies delivered, delivery attempts that failed, the relay's health. */
export interface ReplyCounters {
  replySent(): void;
  replyFailed(final: boolean): void;
  /** An attempt failed on the relay itself (src/outbox's RELAY_FAULTS), not on the mail. */
  relayFailed(fault: string): void;
  /** The relay took mail again (true), or started failing (false). */
  relayUp(up: boolean): void;
}

/** What the public WHOIS and RDAP services report: each query by protocol, kind and outcome. */
export interface PublicCounters {
  queryAnswered(protocol: string, kind: string, outcome: string): void;
}

/** Job counts by BullMQ state (waiting, active, delayed, failed, ...), read on every scrape. */
export type QueueCountsSource = () => Promise<Readonly<Record<string, number>>>;

export interface DaemonMetrics {
  readonly registry: Registry;
  readonly ingress: IngressCounters;
  readonly worker: WorkerCounters;
  readonly replies: ReplyCounters;
  readonly public: PublicCounters;
  /** Reads queue depth from BullMQ at each scrape (one source per process; the last one wins). */
  watchQueue(source: QueueCountsSource): void;
  /** The Prometheus text exposition of everything above. */
  render(): Promise<string>;
}

export interface MetricsOptions {
  /** Process metrics (CPU, RSS, heap, event-loop lag): on by default. */
  readonly processMetrics?: boolean;
  /** Labels on every series, e.g. { roles: 'ingress,worker' }. */
  readonly labels?: Readonly<Record<string, string>>;
  /** Longest a scrape waits for BullMQ's counts before reporting the queue unreachable (default 2 s). */
  readonly queueTimeoutMs?: number;
  /**
   * The `form` label values there may be (`ARIN-POC-5.0`, ...; the daemon lists every form and
   * version we accept): any other form a sender names is counted as `unknown`.
   */
  readonly knownForms?: readonly string[];
  /** The public services' label values (src/public's closed lists); anything else is `unknown`. */
  readonly publicLabels?: {
    readonly protocols: readonly string[];
    readonly kinds: readonly string[];
    readonly outcomes: readonly string[];
  };
}

/**
 * Label values come from a closed set: a label holding what a sender wrote (a form name off the
 * Template line) would be a new series per message (50 junk form names made 500 series and
 * /metrics 12 times larger) and shows whatever was written there, an API key included.
 */
export const UNKNOWN_LABEL = 'unknown';
export const TEMPLATE_OUTCOME_LABELS = ['approved', 'rejected', 'pending_review'] as const;
/** BullMQ's job states (Queue#getJobCounts). */
/** The validation room's events (src/validation/metrics.ts names the same four). */
export const VALIDATION_EVENT_LABELS = ['sent', 'answered', 'expired', 'bounced'] as const;
/** The outbox's faults of the relay, by the names src/outbox gives them. */
export const RELAY_FAULT_LABELS = RELAY_FAULTS;
export const QUEUE_STATE_LABELS = [
  'active',
  'completed',
  'delayed',
  'failed',
  'paused',
  'prioritized',
  'waiting',
  'waiting-children',
] as const;
/** Refusal reasons are our own `E_` codes; more distinct ones than this are counted as E_OTHER. */
const MAX_REFUSAL_REASONS = 64;
const REFUSAL_REASON = /^E_[A-Z0-9_]{1,48}$/;
const SMTP_CODE = /^[45]\d\d$/;

function closed(value: string, allowed: ReadonlySet<string>): string {
  return allowed.has(value) ? value : UNKNOWN_LABEL;
}

/** Job durations: most jobs take tens of milliseconds, a DNS-bound DKIM check a few seconds. */
const JOB_SECONDS_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export const METRIC_PREFIX = 'hostmasterd_';

export function createMetrics(options: MetricsOptions = {}): DaemonMetrics {
  const registry = new Registry();
  if (options.labels) registry.setDefaultLabels({ ...options.labels });
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const accepted = new Counter({
    name: `${METRIC_PREFIX}messages_accepted_total`,
    help: 'Messages accepted over SMTP (250), stored and queued; duplicate="true" for a re-delivery of a stored message.',
    labelNames: ['duplicate'] as const,
    registers,
  });
  const refused = new Counter({
    name: `${METRIC_PREFIX}messages_refused_total`,
    help: 'SMTP commands refused, by reason (an E_ code) and SMTP reply code (451 try again, 550/552 refused).',
    labelNames: ['reason', 'code'] as const,
    registers,
  });
  const templates = new Counter({
    name: `${METRIC_PREFIX}templates_total`,
    help: 'Templates handled by the worker, by form and outcome.',
    labelNames: ['form', 'outcome'] as const,
    registers,
  });
  const jobSeconds = new Histogram({
    name: `${METRIC_PREFIX}job_duration_seconds`,
    help: 'Time a worker spent on one queue job, by result (ok, or failed and to be retried).',
    labelNames: ['result'] as const,
    buckets: JOB_SECONDS_BUCKETS,
    registers,
  });
  const repliesSent = new Counter({
    name: `${METRIC_PREFIX}replies_sent_total`,
    help: 'Reply and notice mails the relay took from the outbox (for every recipient left, or some of them: a mail taken for one recipient, then for another on a retry, counts twice).',
    registers,
  });
  const replyFailures = new Counter({
    name: `${METRIC_PREFIX}reply_send_failures_total`,
    help: 'Outbox delivery attempts that failed; final="true" when the mail was given up and left for staff.',
    labelNames: ['final'] as const,
    registers,
  });
  const relayFaults = new Counter({
    name: `${METRIC_PREFIX}relay_faults_total`,
    help: 'Outbox delivery attempts that failed on the relay itself, by fault (connection, tls, greeting, auth, sender, relaying, protocol, folder, other); not counted against the mail.',
    labelNames: ['fault'] as const,
    registers,
  });
  const faultLabels: ReadonlySet<string> = new Set(RELAY_FAULT_LABELS);
  // Shown only by a process whose outbox sender reported: a process without one would say 0.
  let relayUpGauge: Gauge | undefined;
  const relayUp = (up: boolean) => {
    relayUpGauge ??= new Gauge({
      name: `${METRIC_PREFIX}relay_up`,
      help: "1 while this process's outbox sender finds the relay taking mail, 0 from its first fault of the relay until it takes mail again.",
      registers,
    });
    relayUpGauge.set(up ? 1 : 0);
  };

  const publicQueries = new Counter({
    name: `${METRIC_PREFIX}public_queries_total`,
    help: 'WHOIS and RDAP queries answered, by protocol, kind (net, org, poc, customer, entity, search, help, templates, other) and outcome (found, not_found, bad_query, rate_limited, error).',
    labelNames: ['protocol', 'kind', 'outcome'] as const,
    registers,
  });
  const publicProtocols = new Set(options.publicLabels?.protocols ?? []);
  const publicKinds = new Set(options.publicLabels?.kinds ?? []);
  const publicOutcomes = new Set(options.publicLabels?.outcomes ?? []);
  const validations = new Counter({
    name: `${METRIC_PREFIX}poc_validations_total`,
    help: 'Annual POC validation: mails queued (event="sent"), answered (by mail, page, template or staff), expired unanswered after 60 days, bounced (an address flagged).',
    labelNames: ['event'] as const,
    registers,
  });
  const validationEvents: ReadonlySet<string> = new Set(VALIDATION_EVENT_LABELS);

  const forms = new Set(options.knownForms ?? []);
  const outcomes: ReadonlySet<string> = new Set(TEMPLATE_OUTCOME_LABELS);
  const states: ReadonlySet<string> = new Set(QUEUE_STATE_LABELS);
  const reasons = new Set<string>();
  const refusalReason = (reason: string): string => {
    if (!REFUSAL_REASON.test(reason)) return 'E_OTHER';
    if (!reasons.has(reason) && reasons.size >= MAX_REFUSAL_REASONS) return 'E_OTHER';
    reasons.add(reason);
    return reason;
  };
  const smtpCode = (code: number): string => (SMTP_CODE.test(String(code)) ? String(code) : UNKNOWN_LABEL);

  let queueSource: QueueCountsSource | undefined;
  const queueTimeoutMs = options.queueTimeoutMs ?? 2_000;
  /**
   * One read of the counts per scrape, shared by both gauges (prom-client collects every metric
   * at once, so each awaits the same promise); undefined when Redis did not answer in time.
   */
  let reading: Promise<Readonly<Record<string, number>> | undefined> | undefined;
  const readQueue = () => {
    if (!queueSource) return Promise.resolve(undefined);
    reading ??= withDeadline(queueSource(), queueTimeoutMs)
      .catch(() => undefined)
      .finally(() => {
        reading = undefined;
      });
    return reading;
  };
  new Gauge({
    name: `${METRIC_PREFIX}queue_up`,
    help: '1 when this scrape could read the job counts from Redis, 0 when it could not.',
    registers,
    async collect() {
      if (!queueSource) return;
      this.set((await readQueue()) ? 1 : 0);
    },
  });
  new Gauge({
    name: `${METRIC_PREFIX}queue_jobs`,
    help: 'Jobs in the submissions queue by state, read from BullMQ at scrape time.',
    labelNames: ['state'] as const,
    registers,
    async collect() {
      // A stale depth would look like a healthy queue: clear first, so an outage shows no series.
      this.reset();
      const counts = await readQueue();
      for (const [state, count] of Object.entries(counts ?? {})) {
        if (states.has(state)) this.set({ state }, count);
      }
    },
  });

  return {
    registry,
    ingress: {
      messageAccepted: (duplicate) => accepted.inc({ duplicate: String(duplicate) }),
      messageRefused: (reason, code) => refused.inc({ reason: refusalReason(reason), code: smtpCode(code) }),
    },
    worker: {
      templateHandled: (form, outcome) =>
        templates.inc({ form: closed(form, forms), outcome: closed(outcome, outcomes) }),
      jobFinished: (seconds, ok) => jobSeconds.observe({ result: ok ? 'ok' : 'failed' }, seconds),
      validationEvent: (event) => validations.inc({ event: closed(event, validationEvents) }),
    },
    replies: {
      replySent: () => repliesSent.inc(),
      replyFailed: (final) => replyFailures.inc({ final: String(final) }),
      relayFailed: (fault) => relayFaults.inc({ fault: closed(fault, faultLabels) }),
      relayUp,
    },
    public: {
      queryAnswered: (protocol, kind, outcome) =>
        publicQueries.inc({
          protocol: closed(protocol, publicProtocols),
          kind: closed(kind, publicKinds),
          outcome: closed(outcome, publicOutcomes),
        }),
    },
    watchQueue(source) {
      queueSource = source;
    },
    render: () => registry.metrics(),
  };
}

/** Rejects after `ms`; the timer never keeps the process alive. */
export function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
