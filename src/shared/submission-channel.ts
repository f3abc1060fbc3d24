/**
 * How `submit` on PostgreSQL hands a stored message to the daemon without a job queue client of
 * its own: it inserts the row and `NOTIFY`s this channel (payload: the submission id) in one
 * transaction, and every ingress and worker process, connected under this application name and
 * listening, adds the job. `submit` looks for such a connection in pg_stat_activity only to say
 * whether the message waits for a daemon to start.
 */
export const SUBMISSION_CHANNEL = 'hostmasterd_submissions';
export const SUBMISSION_LISTENER_NAME = 'hostmasterd submission listener';
