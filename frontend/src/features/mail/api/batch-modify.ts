// POST /emails/batch-modify: add/remove labels on many messages (read/unread, archive, trash, user labels), shown at once.
import { useMutation, useQueryClient, type QueryClient, type QueryKey } from '@tanstack/react-query'
import { api, unwrap } from '@/api/client'
import { useActiveAccountId } from '@/lib/active-account'
import { QUERY_ROOTS } from '@/lib/query-keys'
import type { EmailsData } from './search-emails'
import type { Thread } from './get-thread'

export interface LabelChange {
  ids: string[]
  add?: string[]
  remove?: string[]
}

export function batchModify(accountId: string | null, change: LabelChange) {
  return unwrap(
    api.POST('/api/v1/emails/batch-modify', {
      params: { query: { account: accountId ?? undefined } },
      body: { ids: change.ids, add: change.add ?? [], remove: change.remove ?? [] },
    }),
  )
}

function applyLabels<T extends { id: string; label_ids: string[]; unread: boolean; starred: boolean }>(message: T, change: LabelChange): T {
  if (!change.ids.includes(message.id)) return message
  const labels = new Set(message.label_ids)
  for (const label of change.remove ?? []) labels.delete(label)
  for (const label of change.add ?? []) labels.add(label)
  const label_ids = [...labels]
  return { ...message, label_ids, unread: labels.has('UNREAD'), starred: labels.has('STARRED') }
}

/** Whether a message still belongs in the list of `labelId` once its labels changed. */
function stillListed(labelIds: string[], listLabel: unknown): boolean {
  if (typeof listLabel !== 'string') return true
  if (listLabel !== 'TRASH' && labelIds.includes('TRASH')) return false
  // Only system labels the change could have removed decide here; unknown (user) labels compare by id too.
  return labelIds.includes(listLabel)
}

type Snapshot = Array<[QueryKey, unknown]>

/** Change every cached list and thread the way the server is about to; returns what to restore on failure. */
export function applyLabelChangeToCache(queryClient: QueryClient, change: LabelChange): Snapshot {
  const snapshot: Snapshot = [
    ...queryClient.getQueriesData({ queryKey: [QUERY_ROOTS.emails] }),
    ...queryClient.getQueriesData({ queryKey: [QUERY_ROOTS.thread] }),
  ]
  for (const [key, data] of queryClient.getQueriesData<EmailsData>({ queryKey: [QUERY_ROOTS.emails] })) {
    if (!data?.pages) continue
    const listLabel = key[2]
    queryClient.setQueryData<EmailsData>(key, {
      ...data,
      pages: data.pages.map((page) => ({
        ...page,
        messages: page.messages
          .map((message) => applyLabels(message, change))
          .filter((message) => !change.ids.includes(message.id) || stillListed(message.label_ids, listLabel)),
      })),
    })
  }
  for (const [key, data] of queryClient.getQueriesData<Thread>({ queryKey: [QUERY_ROOTS.thread] })) {
    if (!data?.messages) continue
    queryClient.setQueryData<Thread>(key, { ...data, messages: data.messages.map((message) => applyLabels(message, change)) })
  }
  return snapshot
}

export function useBatchModify() {
  const accountId = useActiveAccountId()
  const queryClient = useQueryClient()
  return useMutation({
    mutationFn: (change: LabelChange) => batchModify(accountId, change),
    onMutate: async (change) => {
      await queryClient.cancelQueries({ queryKey: [QUERY_ROOTS.emails] })
      await queryClient.cancelQueries({ queryKey: [QUERY_ROOTS.thread] })
      return { snapshot: applyLabelChangeToCache(queryClient, change) }
    },
    onError: (_error, _change, context) => {
      for (const [key, data] of context?.snapshot ?? []) queryClient.setQueryData(key, data)
    },
    onSettled: () => {
      void queryClient.invalidateQueries({ queryKey: [QUERY_ROOTS.emails] })
      void queryClient.invalidateQueries({ queryKey: [QUERY_ROOTS.labels] })
      void queryClient.invalidateQueries({ queryKey: [QUERY_ROOTS.thread] })
    },
  })
}
