// GET /emails: one label's messages matching a Gmail query, 50 at a time, following meta.next_page_token.
import { infiniteQueryOptions, type InfiniteData } from '@tanstack/react-query'
import { api, unwrapWithMeta } from '@/api/client'
import type { components } from '@/api/schema'
import { ALL_ACCOUNTS } from '@/lib/active-account'
import { QUERY_ROOTS } from '@/lib/query-keys'

/** A row of the list: one message, or (conversation view) a conversation shown by its newest matching message. */
export type MessageSummary = components['schemas']['MessageSummaryOut'] &
  Partial<Pick<components['schemas']['MailConversationOut'], 'count' | 'message_ids' | 'participants'>>

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
  /** One row per conversation (the user's choice; not for the unified inbox, which lists messages). */
  conversations?: boolean
}

export async function searchEmails({ accountId, labelId, q, conversations }: EmailSearch, pageToken: string | null, signal?: AbortSignal): Promise<EmailsPage> {
  if (conversations && accountId !== ALL_ACCOUNTS) {
    const { data, meta } = await unwrapWithMeta(
      api.GET('/api/v1/emails/conversations', {
        params: { query: { account: accountId ?? undefined, q, label: [labelId], page_token: pageToken ?? undefined, limit: PAGE_SIZE } },
        signal,
      }),
    )
    return { messages: data, nextPageToken: meta.next_page_token ?? null, notice: null }
  }
  const { data, meta } = await unwrapWithMeta(
    api.GET('/api/v1/emails', {
      params: { query: { account: accountId ?? undefined, q, label: [labelId], page_token: pageToken ?? undefined, limit: PAGE_SIZE } },
      signal,
    }),
  )
  return { messages: data, nextPageToken: meta.next_page_token ?? null, notice: meta.degraded ? (meta.notice ?? null) : null }
}

/** Key layout [emails, accountId, labelId, q]: the optimistic updates in batch-modify rely on labelId at index 2. */
export function emailsQueryKey({ accountId, labelId, q, conversations }: EmailSearch) {
  return [QUERY_ROOTS.emails, accountId, labelId, q, conversations ? 'conversations' : 'messages'] as const
}

/** The rows of every loaded page, a conversation once (pages follow messages, so a long one can show again). */
export function rowsOf(pages: EmailsPage[]): MessageSummary[] {
  const seen = new Set<string>()
  const rows: MessageSummary[] = []
  for (const row of pages.flatMap((p) => p.messages)) {
    if (row.count !== undefined) {
      const key = `${row.account.id}:${row.thread_id}`
      if (seen.has(key)) continue
      seen.add(key)
    }
    rows.push(row)
  }
  return rows
}

/** The messages a change to these rows touches: every message of a conversation row. */
export function messageIdsOf(row: MessageSummary): string[] {
  return row.message_ids?.length ? row.message_ids : [row.id]
}

export function emailsInfiniteQueryOptions(search: EmailSearch) {
  return infiniteQueryOptions({
    queryKey: emailsQueryKey(search),
    queryFn: ({ pageParam, signal }) => searchEmails(search, pageParam, signal),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextPageToken ?? undefined,
  })
}
