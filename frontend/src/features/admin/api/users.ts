// GET /admin/users: every user, a page at a time (offset/limit, total in meta).
import { keepPreviousData, queryOptions } from '@tanstack/react-query'
import { api, unwrapWithMeta } from '@/api/client'
import { QUERY_ROOTS } from '@/lib/query-keys'

export async function fetchUsers(offset: number, limit: number) {
  return unwrapWithMeta(api.GET('/api/v1/admin/users', { params: { query: { offset, limit } } }))
}

export function usersQueryOptions(offset: number, limit: number) {
  return queryOptions({
    queryKey: [QUERY_ROOTS.admin, 'users', offset, limit],
    queryFn: () => fetchUsers(offset, limit),
    placeholderData: keepPreviousData,
  })
}
