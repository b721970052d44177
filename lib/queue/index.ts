/** The job queue (BullMQ on Redis) that spreads candidate evaluations over worker machines. */
export { resolveQueueConnection, probeQueue, DEFAULT_QUEUE_PREFIX } from './connection';
export type { QueueOptions, QueueTlsOptions, QueueConnection } from './connection';
export { QueueCoordinator, defaultWorkerId } from './coordinator';
export type { QueueRunStats, CoordinatorProgress, WorkerStats } from './coordinator';
export { serveQueue } from './serve';
export type { ServeOptions, ServeContext, ServeSummary } from './serve';
export { publishBlob, fetchBlob, BLOB_TTL_SECONDS } from './blobs';
export { codeVersion, canonicalJson, sha256, jobId, QUEUE_NAME, QUEUE_PROTOCOL } from './protocol';
export type { JobEnvelope, JobOutcome, WorkerIdentity } from './protocol';
