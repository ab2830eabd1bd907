// POST /emails/batch-modify: add/remove labels on many messages (read/unread, archive, trash, user labels), shown at once.
import { useMutation, useQueryClient, type QueryClient, type QueryKey } from '@tanstack/react-query'
import { api, unwrap } from '@/api/client'
import { useActiveAccountId } from '@/lib/active-account'
import { QUERY_ROOTS } from '@/lib/query-keys'
import { offerUndo } from '@/lib/undo'
import type { EmailsData } from './search-emails'
import type { Thread } from './get-thread'

export interface LabelChange {
  ids: string[]
  add?: string[]
  remove?: string[]
  accountId?: string // the messages' account (the unified inbox); else the screen's account
}

export function batchModify(accountId: string | null, change: LabelChange) {
  return unwrap(
    api.POST('/api/v1/emails/batch-modify', {
      params: { query: { account: change.accountId ?? accountId ?? undefined } },
      body: { ids: change.ids, add: change.add ?? [], remove: change.remove ?? [] },
    }),
  )
}

type Labelled = { id: string; label_ids: string[]; unread: boolean; starred: boolean; account?: { id: string } }

/** Whether the change is about this message (ids repeat across accounts: a change naming its account checks it). */
function concerns(message: Labelled, change: LabelChange): boolean {
  if (!change.ids.includes(message.id)) return false
  return !change.accountId || !message.account || message.account.id === change.accountId
}

function applyLabels<T extends Labelled>(message: T, change: LabelChange): T {
  if (!concerns(message, change)) return message
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
          .filter((message) => !concerns(message, change) || stillListed(message.label_ids, listLabel)),
      })),
    })
  }
  for (const [key, data] of queryClient.getQueriesData<Thread>({ queryKey: [QUERY_ROOTS.thread] })) {
    if (!data?.messages) continue
    queryClient.setQueryData<Thread>(key, { ...data, messages: data.messages.map((message) => applyLabels(message, change)) })
  }
  return snapshot
}


/** A label change in words, for the Undo toast. */
export function describeChange(change: LabelChange, names: ReadonlyMap<string, string> = new Map(), noun?: string): string {
  const add = change.add ?? []
  const remove = change.remove ?? []
  const what = noun ?? (change.ids.length === 1 ? 'Message' : `${change.ids.length} messages`)
  if (add.includes('TRASH')) return `${what} moved to Trash`
  if (remove.includes('INBOX') && add.length === 0) return `${what} archived`
  if (add.includes('UNREAD')) return `${what} marked as unread`
  if (remove.includes('UNREAD')) return `${what} marked as read`
  const label = (id: string) => names.get(id) ?? id
  if (add.length) return `Label ${add.map(label).join(', ')} added`
  return `Label ${remove.map(label).join(', ')} removed`
}

/** What takes `change` back, from each message's labels before it (read from the cache; the plain opposite for a
 * message not cached): archive puts INBOX back only where it was, trash takes TRASH off only where it was added. */
export function inverseOf(queryClient: QueryClient, change: LabelChange): LabelChange[] {
  const before = new Map<string, string[]>()
  for (const [, data] of queryClient.getQueriesData<EmailsData>({ queryKey: [QUERY_ROOTS.emails] })) {
    for (const page of data?.pages ?? []) for (const m of page.messages) if (!before.has(m.id) && concerns(m, change)) before.set(m.id, m.label_ids)
  }
  for (const [, data] of queryClient.getQueriesData<Thread>({ queryKey: [QUERY_ROOTS.thread] })) {
    for (const m of data?.messages ?? []) if (!before.has(m.id) && concerns(m, change)) before.set(m.id, m.label_ids)
  }
  const groups = new Map<string, LabelChange>()
  for (const id of change.ids) {
    const had = before.get(id)
    const add = (change.remove ?? []).filter((label) => !had || had.includes(label))
    const remove = (change.add ?? []).filter((label) => !had || !had.includes(label))
    if (add.length === 0 && remove.length === 0) continue
    const key = JSON.stringify([add, remove])
    const group = groups.get(key) ?? { ids: [], add, remove, accountId: change.accountId }
    group.ids.push(id)
    groups.set(key, group)
  }
  return [...groups.values()]
}

/** Apply label changes now (cache first, then the server), outside any component: an undo outlives the screen. */
export async function applyLabelChanges(queryClient: QueryClient, accountId: string | null, changes: LabelChange[]): Promise<void> {
  try {
    for (const change of changes) applyLabelChangeToCache(queryClient, change)
    for (const change of changes) await batchModify(accountId, change)
  } finally {
    void queryClient.invalidateQueries({ queryKey: [QUERY_ROOTS.emails] })
    void queryClient.invalidateQueries({ queryKey: [QUERY_ROOTS.labels] })
    void queryClient.invalidateQueries({ queryKey: [QUERY_ROOTS.thread] })
  }
}

/** `describe`: what a change did, in words; given, every change made through the hook is offered for Undo (`z`). */
export function useBatchModify(describe?: (change: LabelChange) => string) {
  const accountId = useActiveAccountId()
  const queryClient = useQueryClient()
  return useMutation({
    mutationFn: (change: LabelChange) => batchModify(accountId, change),
    onMutate: async (change) => {
      await queryClient.cancelQueries({ queryKey: [QUERY_ROOTS.emails] })
      await queryClient.cancelQueries({ queryKey: [QUERY_ROOTS.thread] })
      // Read before the cache changes: how to take it back (Undo, `z`).
      const inverse = inverseOf(queryClient, change)
      return { snapshot: applyLabelChangeToCache(queryClient, change), inverse }
    },
    onSuccess: (_data, change, context) => {
      const inverse = context?.inverse ?? []
      if (!describe || inverse.length === 0) return
      offerUndo(describe(change), () => applyLabelChanges(queryClient, accountId, inverse))
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
