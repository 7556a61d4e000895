export { AnomalydMetrics, type AnomalydMetricsOptions } from './anomalydMetrics.js';
export { startMetricsServer, type MetricsServer, type MetricsServerOptions, type Readiness } from './server.js';
export { OTHER_STREAM } from './streamLabels.js';
