// DELETE /emails/{id}/labels/{label}: take one label off one message.
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { api, unwrap } from '@/api/client'
import { useActiveAccountId } from '@/lib/active-account'
import { QUERY_ROOTS } from '@/lib/query-keys'
import { applyLabelChangeToCache } from './batch-modify'

export function removeLabel(accountId: string | null, messageId: string, labelId: string) {
  return unwrap(
    api.DELETE('/api/v1/emails/{message_id}/labels/{label_id}', {
      params: { path: { message_id: messageId, label_id: labelId }, query: { account: accountId ?? undefined } },
    }),
  )
}

export function useRemoveLabel() {
  const accountId = useActiveAccountId()
  const queryClient = useQueryClient()
  return useMutation({
    mutationFn: ({ messageId, labelId }: { messageId: string; labelId: string }) => removeLabel(accountId, messageId, labelId),
    onSuccess: (_data, { messageId, labelId }) => applyLabelChangeToCache(queryClient, { ids: [messageId], remove: [labelId] }),
    onSettled: () => {
      void queryClient.invalidateQueries({ queryKey: [QUERY_ROOTS.emails] })
      void queryClient.invalidateQueries({ queryKey: [QUERY_ROOTS.labels] })
      void queryClient.invalidateQueries({ queryKey: [QUERY_ROOTS.thread] })
    },
  })
}
