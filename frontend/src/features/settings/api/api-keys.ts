// GET /api-keys: your keys, newest first, revoked ones included.
import { queryOptions } from '@tanstack/react-query'
import { api, unwrap } from '@/api/client'
import { QUERY_ROOTS } from '@/lib/query-keys'

export async function fetchApiKeys() {
  return unwrap(api.GET('/api/v1/api-keys'))
}

export function apiKeysQueryOptions() {
  return queryOptions({ queryKey: [QUERY_ROOTS.apiKeys], queryFn: fetchApiKeys })
}
