// GET /emails/drafts: saved drafts, a page at a time (follow meta.next_page_token).
import { infiniteQueryOptions } from '@tanstack/react-query'
import { api, unwrapWithMeta } from '@/api/client'
import { QUERY_ROOTS } from '@/lib/query-keys'

const PAGE_SIZE = 25

export function listDrafts(account: string | null, pageToken: string | null) {
  const query = { limit: PAGE_SIZE, ...(account ? { account } : {}), ...(pageToken ? { page_token: pageToken } : {}) }
  return unwrapWithMeta(api.GET('/api/v1/emails/drafts', { params: { query } }))
}

export function draftsQueryOptions(account: string | null) {
  return infiniteQueryOptions({
    queryKey: [QUERY_ROOTS.drafts, account, 'list'],
    queryFn: ({ pageParam }) => listDrafts(account, pageParam),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.meta.next_page_token ?? null,
  })
}
