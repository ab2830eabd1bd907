// GET /admin/metrics: circuit breakers, cache hits and misses, failed job count (this server process's view).
import { queryOptions } from '@tanstack/react-query'
import { api, unwrap } from '@/api/client'
import { QUERY_ROOTS } from '@/lib/query-keys'

export async function fetchMetrics() {
  return unwrap(api.GET('/api/v1/admin/metrics'))
}

export function metricsQueryOptions() {
  return queryOptions({ queryKey: [QUERY_ROOTS.admin, 'metrics'], queryFn: fetchMetrics })
}
