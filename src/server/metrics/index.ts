// Prometheus metrics of the control plane.
export { metricsPlugin } from "./metrics-plugin.js";
export { createServerMetrics, type ServerMetrics } from "./server-metrics.js";
