import { FAILURE_REASONS, QUEUES, RETRY_CAUSES, createMetrics, initJobCounters } from '../src';

// The alert rules use increase()/rate() on the job counters: each known series must exist, at 0,
// before its first event, or that first failure never counts.

it('exports every known job counter series at 0 before any job ran', async () => {
  const metrics = createMetrics('test-service');
  const { name, jobs } = QUEUES.follower;
  initJobCounters(metrics, name, Object.keys(jobs));
  const text = await metrics.registry.metrics();
  for (const job of Object.keys(jobs)) {
    expect(text).toContain(`vaults_jobs_completed_total{queue="${name}",job_name="${job}",service="test-service"} 0`);
    for (const reason of FAILURE_REASONS) {
      expect(text).toContain(`vaults_jobs_failed_total{queue="${name}",job_name="${job}",reason="${reason}",service="test-service"} 0`);
    }
    for (const cause of RETRY_CAUSES) {
      expect(text).toContain(`vaults_jobs_retried_total{queue="${name}",job_name="${job}",cause="${cause}",service="test-service"} 0`);
    }
  }
});
