/**
 * The observability room: Prometheus metrics (prom-client), liveness and readiness, and the
 * HTTP endpoints that serve them (/metrics, /healthz, /readyz) on the console's port.
 * It imports nothing of the pipeline: the daemon wires its hooks into the other rooms.
 */
export {
  type CheckStatus,
  checkReadiness,
  type Liveness,
  liveness,
  type Readiness,
  type ReadinessCheck,
} from './health.ts';
export {
  createMetrics,
  type DaemonMetrics,
  type IngressCounters,
  METRIC_PREFIX,
  type MetricsOptions,
  type PublicCounters,
  type QueueCountsSource,
  type ReplyCounters,
  type WorkerCounters,
  withDeadline,
} from './metrics.ts';
export { type OpsServer, type OpsServerOptions, startOpsServer } from './ops-server.ts';
export { OPS_PATHS, type OpsRoutesOptions, opsRoutes } from './routes.ts';
