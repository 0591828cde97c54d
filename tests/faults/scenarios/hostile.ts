import { toJob, type AnyEvent } from '@vaults/testkit';
import { hostileJobs, oddButValid, type BadJob } from '../lib/hostile';
import { Stage, type Infra, type Row } from '../lib/scenario';
import { sleep } from '../lib/util';
import { generate, int, prng } from '../lib/workload';
import { rssKb } from '../lib/workers';

const RSS_LIMIT_MB = 512;

/**
 * 7. Hostile input at volume: about a fifth of the jobs are malformed, of every class (missing
 * fields, wrong types, strings where numbers belong, malformed addresses and hashes, amounts out
 * of range, unknown actions and job names, names past 100 characters, 1 MB strings, deeply
 * nested junk, __proto__ / constructor keys). Each must fail once (no retry) with a reason that
 * names the field; the good jobs around them must be unaffected (odd but valid payloads
 * included); nothing bad may be written; each worker's resident memory must stay bounded.
 */
export async function hostileInput(infra: Infra): Promise<Row> {
  const stage = await Stage.open('7 hostile input (~20% malformed)', infra);
  try {
    const workers = await stage.fleet.start();
    const idle = new Map(workers.map((w) => [w.pid, rssKb(w.pid)]));
    for (const w of workers) w.sampleRss(50);

    const r = prng(infra.seed + 7);
    const wl = generate({ seed: infra.seed + 7, vaults: 20 * infra.scale, eventsPerVault: 60 });
    const bad = hostileJobs(wl.events, 5 * infra.scale, infra.seed + 77);
    type Item = { good: AnyEvent; odd?: Record<string, unknown> } | { bad: BadJob };
    const items: Item[] = wl.deliveries.map((e) => (r() < 0.1 ? { good: e, odd: oddButValid(e, r) } : { good: e }));
    for (const b of bad) items.splice(int(r, 0, items.length), 0, { bad: b });

    const badIds = new Map<string, BadJob>();
    let next = 0;
    const lane = async () => {
      for (;;) {
        const item = items[next++];
        if (!item) return;
        if ('bad' in item) {
          const id = await stage.driver.addRaw(item.bad.queue, item.bad.name, item.bad.data);
          badIds.set(`${item.bad.queue}:${id}`, item.bad);
        } else {
          stage.delivered.push(item.good);
          const [key, name, data] = toJob(item.good);
          await stage.driver.addRaw(key, name, item.odd ?? data);
        }
      }
    };
    await Promise.all(Array.from({ length: 10 }, lane));
    stage.lastSend = Date.now();

    // The workers' own count of refused jobs (/metrics), read before they stop.
    await stage.watch.drained(120_000).catch(() => undefined);
    let refused = 0;
    for (const w of workers) {
      const text = (await w.get('/metrics').catch(() => ({ body: '' }))).body;
      for (const m of text.matchAll(/^vaults_jobs_failed_total\{([^}]*)\} (\d+)/gm)) {
        if (/reason="(invalid|unknown_job)"/.test(m[1]!)) refused += Number(m[2]);
      }
    }
    const row = await stage.finish({ allowedFailures: bad.length });
    if (refused !== bad.length) row.problems.push(`vaults_jobs_failed_total{reason=invalid|unknown_job} sums to ${refused} over the workers, ${bad.length} bad jobs were sent`);
    // Each bad job: failed once, without a retry, with a reason naming its field.
    const byKind = new Map<string, { n: number; ok: number }>();
    const wrong: string[] = [];
    let seen = 0;
    for (const [queue, jobs] of stage.jobsAtEnd) {
      for (const j of jobs) {
        const b = badIds.get(`${queue}:${j.id}`);
        if (!b) continue;
        seen++;
        const k = byKind.get(b.kind) ?? { n: 0, ok: 0 };
        k.n++;
        const reason = j.failedReason ?? '';
        const ok = !!reason && reason.includes(b.field) && j.attemptsMade === 1 && (j.attemptsStarted ?? 1) === 1 && !!j.finishedOn;
        if (ok) k.ok++;
        else if (wrong.length < 6) {
          wrong.push(`${b.kind} on ${queue} (want "${b.field}"): attemptsMade ${j.attemptsMade}, reason ${JSON.stringify(reason.slice(0, 160))}${j.returnvalue !== undefined && !reason ? ' (it completed)' : ''}`);
        }
        byKind.set(b.kind, k);
      }
    }
    const bad_ok = [...byKind.values()].reduce((a, k) => a + k.ok, 0);
    if (seen !== bad.length) row.problems.push(`${bad.length} bad jobs sent, ${seen} found in the queues afterwards`);
    if (bad_ok !== bad.length) row.problems.push(`${bad.length - bad_ok} bad job(s) did not fail once naming their field, e.g.:\n      ${wrong.join('\n      ')}`);

    await sleep(0);
    const peaks = workers.map((w) => ({ service: w.service, idleMb: (idle.get(w.pid) ?? 0) / 1024, peakMb: w.peakRssKb / 1024 }));
    for (const p of peaks) {
      if (p.peakMb > RSS_LIMIT_MB) row.problems.push(`${p.service} resident memory peaked at ${p.peakMb.toFixed(0)} MB (limit ${RSS_LIMIT_MB} MB)`);
    }
    row.notes.push(
      `${bad.length} malformed jobs in ${byKind.size} classes, ${items.length - bad.length} good (${items.filter((i) => 'odd' in i && i.odd).length} with odd but valid extras: own __proto__/constructor keys, 64 KB junk, nesting); ` +
        `${bad_ok}/${bad.length} failed once naming the field; /metrics counted ${refused} refused`,
    );
    row.notes.push(`resident memory idle -> peak (MB): ${peaks.map((p) => `${p.service} ${p.idleMb.toFixed(0)} -> ${p.peakMb.toFixed(0)}`).join(', ')} (limit ${RSS_LIMIT_MB})`);
    row.passed = row.problems.length === 0 && row.lost === 0 && row.doubled === 0 && row.wrong === 0;
    return row;
  } catch (err) {
    await stage.close().catch(() => undefined);
    throw err;
  }
}
