// GET /auth/me: who is signed in (e-mail, name, role, verification date, scopes).
import { queryOptions } from '@tanstack/react-query'
import { api, unwrap } from '@/api/client'
import { QUERY_ROOTS } from '@/lib/query-keys'

export async function fetchMe() {
  return unwrap(api.GET('/api/v1/auth/me'))
}

export function meQueryOptions() {
  return queryOptions({ queryKey: [QUERY_ROOTS.me], queryFn: fetchMe })
}
