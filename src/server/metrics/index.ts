// GET /metrics: the control plane's Prometheus metrics over HTTP.
export { metricsPlugin } from "./metrics-plugin.js";
