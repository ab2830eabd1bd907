// GET /admin/audit-logs: audit entries, newest first, filtered by actor, action and time range.
import { keepPreviousData, queryOptions } from '@tanstack/react-query'
import { api, unwrapWithMeta } from '@/api/client'
import type { operations } from '@/api/schema'
import { QUERY_ROOTS } from '@/lib/query-keys'

export type AuditQuery = NonNullable<operations['audit_logs_api_v1_admin_audit_logs_get']['parameters']['query']>

export async function fetchAuditLogs(query: AuditQuery) {
  return unwrapWithMeta(api.GET('/api/v1/admin/audit-logs', { params: { query } }))
}

export function auditLogsQueryOptions(query: AuditQuery) {
  return queryOptions({
    queryKey: [QUERY_ROOTS.admin, 'audit', query],
    queryFn: () => fetchAuditLogs(query),
    placeholderData: keepPreviousData,
  })
}
