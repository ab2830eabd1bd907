// POST /emails/{id}/labels: put labels (ids or names) on one message.
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { api, unwrap } from '@/api/client'
import { useActiveAccountId } from '@/lib/active-account'
import { QUERY_ROOTS } from '@/lib/query-keys'
import { applyLabelChangeToCache } from './batch-modify'

export function addLabels(accountId: string | null, messageId: string, labelIds: string[]) {
  return unwrap(
    api.POST('/api/v1/emails/{message_id}/labels', {
      params: { path: { message_id: messageId }, query: { account: accountId ?? undefined } },
      body: { label_ids: labelIds },
    }),
  )
}

export function useAddLabels() {
  const accountId = useActiveAccountId()
  const queryClient = useQueryClient()
  return useMutation({
    mutationFn: ({ messageId, labelIds }: { messageId: string; labelIds: string[] }) => addLabels(accountId, messageId, labelIds),
    onSuccess: (_data, { messageId, labelIds }) => applyLabelChangeToCache(queryClient, { ids: [messageId], add: labelIds }),
    onSettled: () => {
      void queryClient.invalidateQueries({ queryKey: [QUERY_ROOTS.emails] })
      void queryClient.invalidateQueries({ queryKey: [QUERY_ROOTS.labels] })
      void queryClient.invalidateQueries({ queryKey: [QUERY_ROOTS.thread] })
    },
  })
}
