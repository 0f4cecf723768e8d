import { Counter, Histogram, type Registry } from 'prom-client';
import type { FlowMetrics } from '../../ports.js';

/** FlowMetrics as Prometheus series on the registry /metrics serves. */
export function prometheusMetrics(registry: Registry): FlowMetrics {
  const events = new Counter({
    name: 'csrbot_request_events_total',
    help: 'Certificate requests by event: submitted, approved, denied, failed, deleted, issued.',
    labelNames: ['event'],
    registers: [registry],
  });
  const refusals = new Counter({
    name: 'csrbot_intake_refusals_total',
    help: 'CSRs refused at intake, by error code (one request can have several).',
    labelNames: ['code'],
    registers: [registry],
  });
  const issuance = new Histogram({
    name: 'csrbot_issuance_seconds',
    help: "Time from the decision to the certificate in the requester's DM.",
    buckets: [0.5, 1, 2, 5, 10, 30, 60, 300, 900],
    registers: [registry],
  });
  return {
    requestEvent: (event) => events.inc({ event }),
    intakeRefused: (code) => refusals.inc({ code }),
    issuanceSeconds: (s) => issuance.observe(s),
  };
}
