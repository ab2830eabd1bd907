// GET /auth/sessions: the signed-in person's sessions (devices), newest first.
import { queryOptions } from '@tanstack/react-query'
import { api, unwrap } from '@/api/client'
import { QUERY_ROOTS } from '@/lib/query-keys'

export async function fetchSessions() {
  return unwrap(api.GET('/api/v1/auth/sessions'))
}

export function sessionsQueryOptions() {
  return queryOptions({ queryKey: [QUERY_ROOTS.me, 'sessions'], queryFn: fetchSessions })
}
