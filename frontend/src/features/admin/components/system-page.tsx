// System: this server process's health numbers (circuits, cache, failed jobs, the audit sealer's lag), who takes jobs
// (live workers, the scheduler role, queue depths) and the failed jobs with a retry.
import { useQuery } from '@tanstack/react-query'
import { useState } from 'react'
import type { components } from '@/api/schema'
import { Button } from '@/components/button'
import { EmptyState } from '@/components/empty-state'
import { ErrorMessage } from '@/components/error-message'
import { fullDate } from '@/components/format-date'
import { Loading } from '@/components/loading'
import { failedJobsQueryOptions } from '../api/failed-jobs'
import { metricsQueryOptions } from '../api/metrics'
import { useRequeueJob } from '../api/requeue-job'
import { Pager } from './pager'

type CacheStats = components['schemas']['CacheStatsOut']
type JobsMetrics = components['schemas']['JobsMetricsOut']
const PAGE_SIZE = 50

function hitRate({ hits, misses }: CacheStats): string {
  const total = hits + misses
  return total === 0 ? 'no lookups yet' : `${Math.round((hits / total) * 100)}% hits`
}

function StatCard({ label, value, note }: { label: string; value: string | number; note?: string }) {
  return (
    <div className="rounded-md border border-slate-200 bg-white p-4">
      <dt className="text-sm text-slate-600">{label}</dt>
      <dd className="mt-1 text-2xl font-semibold text-slate-900">{value}</dd>
      {note && <dd className="text-xs text-slate-600">{note}</dd>}
    </div>
  )
}

function Workers({ jobs }: { jobs: JobsMetrics }) {
  if (jobs.summary == null) return null
  const workers = jobs.workers ?? []
  return (
    <section aria-labelledby="workers-heading" className="flex flex-col gap-2">
      <h2 id="workers-heading" className="text-lg font-semibold text-slate-900">
        Workers
      </h2>
      <p role={jobs.problem ? 'alert' : undefined} className={jobs.problem ? 'rounded-md border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900' : 'text-sm text-slate-700'}>
        {jobs.summary}
      </p>
      {jobs.depths && (
        <dl className="flex flex-wrap gap-x-6 gap-y-1 text-sm text-slate-700">
          {Object.entries(jobs.depths).map(([lane, count]) => (
            <div key={lane} className="flex gap-1">
              <dt>{lane}:</dt>
              <dd className="font-medium text-slate-900">{count}</dd>
            </div>
          ))}
        </dl>
      )}
      {workers.length > 0 && (
        <div className="overflow-x-auto rounded-md border border-slate-200 bg-white" tabIndex={0} role="region" aria-label="Workers table">
          <table className="w-full text-left text-sm">
            <caption className="sr-only">Live workers</caption>
            <thead className="bg-slate-50 text-xs uppercase text-slate-700">
              <tr>
                <th scope="col" className="px-3 py-2">Worker</th>
                <th scope="col" className="px-3 py-2">State</th>
                <th scope="col" className="px-3 py-2">Scheduler</th>
                <th scope="col" className="px-3 py-2">Jobs done / failed</th>
                <th scope="col" className="px-3 py-2">Last heartbeat</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {workers.map((worker) => (
                <tr key={worker.id}>
                  <td className="px-3 py-2 font-medium">{worker.id}</td>
                  <td className="px-3 py-2">
                    {worker.state}
                    {worker.down.length > 0 && ` (waiting for ${worker.down.join(', ')})`}
                  </td>
                  <td className="px-3 py-2">{worker.scheduler ? 'holds the role' : '—'}</td>
                  <td className="px-3 py-2">
                    {worker.jobs_done} / {worker.jobs_failed}
                  </td>
                  <td className="px-3 py-2">{fullDate(worker.last_seen_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  )
}

function Metrics() {
  const metrics = useQuery(metricsQueryOptions())
  if (metrics.isPending) return <Loading label="Loading metrics…" />
  if (metrics.isError) return <ErrorMessage error={metrics.error} />
  const { cache, mail_cache: mailCache, jobs, circuits, audit } = metrics.data
  const openCircuits = circuits.filter((c) => c.state !== 'closed').length
  return (
    <div className="flex flex-col gap-4">
      <dl className="grid gap-3 sm:grid-cols-2 lg:grid-cols-4">
        <StatCard label="Failed jobs" value={jobs.failed ?? 'Unknown'} note={jobs.error ?? undefined} />
        <StatCard label="Cache hits" value={cache.hits} note={hitRate(cache)} />
        <StatCard label="Cache misses" value={cache.misses} />
        <StatCard label="Open circuits" value={openCircuits} note={`${circuits.length} outside services called`} />
        {audit && (
          <StatCard
            label="Audit entries waiting to be sealed"
            value={audit.unsealed}
            note={`chain sealed up to #${audit.head_seq}${audit.unsealed ? `; oldest waiting ${audit.lag_seconds.toFixed(1)} s` : ''}`}
          />
        )}
        {Object.entries(mailCache).map(([kind, stats]) => (
          <StatCard key={kind} label={`Mail cache: ${kind}`} value={`${stats.hits} / ${stats.hits + stats.misses}`} note={hitRate(stats)} />
        ))}
      </dl>
      <Workers jobs={jobs} />
      {circuits.length > 0 && (
        <div className="overflow-x-auto rounded-md border border-slate-200 bg-white" tabIndex={0} role="region" aria-label="Circuit breakers table">
          <table className="w-full text-left text-sm">
            <caption className="px-3 py-2 text-left font-medium text-slate-900">Circuit breakers</caption>
            <thead className="bg-slate-50 text-xs uppercase text-slate-700">
              <tr>
                <th scope="col" className="px-3 py-2">Service</th>
                <th scope="col" className="px-3 py-2">State</th>
                <th scope="col" className="px-3 py-2">Successes</th>
                <th scope="col" className="px-3 py-2">Failures</th>
                <th scope="col" className="px-3 py-2">Rejected</th>
                <th scope="col" className="px-3 py-2">Retry in</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {circuits.map((circuit) => (
                <tr key={circuit.service}>
                  <td className="px-3 py-2 font-medium">{circuit.service}</td>
                  <td className="px-3 py-2">{circuit.state.replace('_', ' ')}</td>
                  <td className="px-3 py-2">{circuit.successes}</td>
                  <td className="px-3 py-2">
                    {circuit.failures} ({circuit.consecutive_failures} in a row)
                  </td>
                  <td className="px-3 py-2">{circuit.rejections}</td>
                  <td className="px-3 py-2">{circuit.retry_after_seconds != null ? `${Math.ceil(circuit.retry_after_seconds)} s` : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  )
}

function FailedJobs() {
  const [offset, setOffset] = useState(0)
  const jobs = useQuery(failedJobsQueryOptions(offset, PAGE_SIZE))
  const requeue = useRequeueJob()
  if (jobs.isPending) return <Loading label="Loading failed jobs…" />
  if (jobs.isError) return <ErrorMessage error={jobs.error} />
  if (jobs.data.data.length === 0) return <EmptyState title="No failed jobs" />
  return (
    <div className="flex flex-col gap-3">
      <ErrorMessage error={requeue.error} />
      {requeue.isSuccess && (
        <p role="status" className="text-sm text-slate-700">
          {requeue.data.name} was queued again.
        </p>
      )}
      <ul className="divide-y divide-slate-100 rounded-md border border-slate-200 bg-white">
        {jobs.data.data.map((job) => (
          <li key={job.id} className="flex flex-wrap items-start justify-between gap-3 px-4 py-3 text-sm">
            <div className="min-w-0 flex-1">
              <p className="font-medium text-slate-900">{job.name}</p>
              <p className="break-words font-mono text-xs text-red-800">{job.error}</p>
              <p className="text-slate-600">
                Failed {fullDate(job.failed_at)} after {job.attempts} {job.attempts === 1 ? 'attempt' : 'attempts'} · id {job.id}
              </p>
            </div>
            <Button
              size="sm"
              aria-label={`Retry ${job.name} (${job.id})`}
              busy={requeue.isPending && requeue.variables === job.id}
              onClick={() => requeue.mutate(job.id)}
            >
              Retry
            </Button>
          </li>
        ))}
      </ul>
      <Pager label="Failed jobs pages" offset={offset} limit={PAGE_SIZE} shown={jobs.data.data.length} total={jobs.data.meta.total} onChange={setOffset} />
    </div>
  )
}

export function SystemPage() {
  return (
    <div className="flex flex-col gap-8">
      <section aria-labelledby="admin-metrics-heading" className="flex flex-col gap-3">
        <h2 id="admin-metrics-heading" className="text-base font-semibold text-slate-900">
          Metrics
        </h2>
        <p className="-mt-2 text-sm text-slate-600">Counted by this server process since it started.</p>
        <Metrics />
      </section>
      <section aria-labelledby="admin-jobs-heading" className="flex flex-col gap-3">
        <h2 id="admin-jobs-heading" className="text-base font-semibold text-slate-900">
          Failed jobs
        </h2>
        <FailedJobs />
      </section>
    </div>
  )
}
