/**
 * How `submit` on PostgreSQL hands a stored message to a running ingress without a job queue
 * client of its own: it inserts the row and `NOTIFY`s this channel (payload: the submission id)
 * in one transaction, and the ingress role, connected under this application name and listening,
 * adds the job. `submit` takes this path only when it sees such a connection in pg_stat_activity.
 */
export const SUBMISSION_CHANNEL = 'hostmasterd_submissions';
export const SUBMISSION_LISTENER_NAME = 'hostmasterd ingress listener';
