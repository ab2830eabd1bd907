// GET /admin/jobs/failed: background jobs that failed their last attempt, newest first.
import { queryOptions } from '@tanstack/react-query'
import { api, unwrapWithMeta } from '@/api/client'
import { QUERY_ROOTS } from '@/lib/query-keys'

export async function fetchFailedJobs(offset: number, limit: number) {
  return unwrapWithMeta(api.GET('/api/v1/admin/jobs/failed', { params: { query: { offset, limit } } }))
}

export function failedJobsQueryOptions(offset: number, limit: number) {
  return queryOptions({ queryKey: [QUERY_ROOTS.admin, 'failed-jobs', offset, limit], queryFn: () => fetchFailedJobs(offset, limit) })
}
