// POST /emails/draft/{id}/send: send a saved draft as it is stored.
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { api, unwrap } from '@/api/client'
import { QUERY_ROOTS } from '@/lib/query-keys'

export function sendDraft({ draftId, account }: { draftId: string; account: string | null }) {
  return unwrap(api.POST('/api/v1/emails/draft/{draft_id}/send', { params: { path: { draft_id: draftId }, query: account ? { account } : {} } }))
}

export function useSendDraft() {
  const queryClient = useQueryClient()
  return useMutation({
    mutationFn: sendDraft,
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: [QUERY_ROOTS.drafts] })
      void queryClient.invalidateQueries({ queryKey: [QUERY_ROOTS.emails] })
    },
  })
}
