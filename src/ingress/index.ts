/**
 * The ingress room: messages come in (SMTP, or `submit` on stdin), are committed raw to the
 * database and queued; the sweeper re-queues any committed submission whose job went missing, and
 * on PostgreSQL a listener queues what `submit` committed (both run in every ingress and worker
 * process: startSubmissionKeeping).
 */

// Pure, and kept where `submit` reaches them without this face's storage (mail, shared).
export { deliveryDigest } from '../mail/index.ts';
export { newSubmissionId, SUBMISSION_ID_PATTERN } from '../shared/index.ts';
export { type AcceptDeps, type Accepted, acceptMessage, isTemporary } from './accept.ts';
export { type SubmissionKeeping, type SubmissionKeepingDeps, startSubmissionKeeping } from './keeping.ts';
export { SenderRate, senderKey } from './sender-rate.ts';
export { type Ingress, type IngressDeps, type IngressMetrics, startIngress } from './smtp.ts';
export {
  type Envelope,
  type IncomingMessage,
  type StoredSubmission,
  type StoreOptions,
  type SubmissionVia,
  storeSubmission,
} from './store.ts';
export {
  type SubmissionListener,
  type SubmissionListenerDeps,
  startSubmissionListener,
} from './submission-listener.ts';
export {
  type Sweeper,
  type SweeperDeps,
  type SweepKind,
  type SweepOptions,
  type SweepResult,
  startSweeper,
  sweepOnce,
} from './sweeper.ts';
