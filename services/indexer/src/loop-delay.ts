import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Gauge, type Registry } from 'prom-client';

// The indexer's event-loop delay since the process started (perf_hooks.monitorEventLoopDelay),
// as gauges read at scrape time: the p99 and the maximum. prom-client's default
// nodejs_eventloop_lag_* are reset at every scrape; these are not, so a benchmark reads the delay
// over a whole backfill with one scrape at its end. A delay near the liveness probe's time-out
// means a range's work is not bounded enough (MAX_LOGS_PER_RANGE).

export function monitorLoopDelay(registry: Registry): { stop(): void } {
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  const seconds = (ns: number) => (Number.isFinite(ns) ? ns / 1e9 : 0);
  new Gauge({
    name: 'vaults_indexer_event_loop_delay_p99_seconds',
    help: "The 99th percentile of the indexer's event-loop delay since start (perf_hooks, 10 ms resolution).",
    registers: [registry],
    collect() {
      this.set(seconds(h.percentile(99)));
    },
  });
  new Gauge({
    name: 'vaults_indexer_event_loop_delay_max_seconds',
    help: "The longest event-loop delay of the indexer since start.",
    registers: [registry],
    collect() {
      this.set(seconds(h.max));
    },
  });
  return { stop: () => h.disable() };
}
