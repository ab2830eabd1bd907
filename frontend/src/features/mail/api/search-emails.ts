// GET /emails: one label's messages matching a Gmail query, 50 at a time, following meta.next_page_token.
import { infiniteQueryOptions, type InfiniteData } from '@tanstack/react-query'
import { api, unwrapWithMeta } from '@/api/client'
import type { components } from '@/api/schema'
import { QUERY_ROOTS } from '@/lib/query-keys'

export type MessageSummary = components['schemas']['MessageSummaryOut']

export const PAGE_SIZE = 50

export interface EmailsPage {
  messages: MessageSummary[]
  nextPageToken: string | null
  notice: string | null
}

export type EmailsData = InfiniteData<EmailsPage, string | null>

export interface EmailSearch {
  accountId: string | null
  labelId: string
  q: string
}

export async function searchEmails({ accountId, labelId, q }: EmailSearch, pageToken: string | null, signal?: AbortSignal): Promise<EmailsPage> {
  const { data, meta } = await unwrapWithMeta(
    api.GET('/api/v1/emails', {
      params: { query: { account: accountId ?? undefined, q, label: [labelId], page_token: pageToken ?? undefined, limit: PAGE_SIZE } },
      signal,
    }),
  )
  return { messages: data, nextPageToken: meta.next_page_token ?? null, notice: meta.degraded ? (meta.notice ?? null) : null }
}

/** Key layout [emails, accountId, labelId, q]: the optimistic updates in batch-modify rely on labelId at index 2. */
export function emailsQueryKey({ accountId, labelId, q }: EmailSearch) {
  return [QUERY_ROOTS.emails, accountId, labelId, q] as const
}

export function emailsInfiniteQueryOptions(search: EmailSearch) {
  return infiniteQueryOptions({
    queryKey: emailsQueryKey(search),
    queryFn: ({ pageParam, signal }) => searchEmails(search, pageParam, signal),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextPageToken ?? undefined,
  })
}
