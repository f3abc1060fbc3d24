/**
 * The ingress room: messages come in (SMTP, or `submit` on stdin), are committed raw to the
 * database and queued; the sweeper re-queues any committed submission whose job went missing, and
 * on PostgreSQL a listener queues what `submit` committed (both run in every ingress and worker
 * process: startSubmissionKeeping).
 */

// Pure, and kept where `submit` reaches them without this face's storage (mail, shared).
export { deliveryDigest } from '../mail/index.ts';
export { newSubmissionId, SUBMISSION_ID_PATTERN } from '../shared/index.ts';
export { type Accepted, acceptMessage, isTemporary } from './accept.ts';
export { type SubmissionKeeping, startSubmissionKeeping } from './keeping.ts';
export { SenderRate } from './sender-rate.ts';
export { type Ingress, type IngressMetrics, startIngress } from './smtp.ts';
export { type Envelope, type IncomingMessage, storeSubmission } from './store.ts';
export { type SubmissionListener, startSubmissionListener } from './submission-listener.ts';
export { startSweeper, sweepOnce } from './sweeper.ts';
