// DELETE /emails/draft/{id}: throw a draft away.
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { api, unwrap } from '@/api/client'
import { QUERY_ROOTS } from '@/lib/query-keys'

export function deleteDraft({ draftId, account }: { draftId: string; account: string | null }) {
  return unwrap(api.DELETE('/api/v1/emails/draft/{draft_id}', { params: { path: { draft_id: draftId }, query: account ? { account } : {} } }))
}

export function useDeleteDraft() {
  const queryClient = useQueryClient()
  return useMutation({
    mutationFn: deleteDraft,
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: [QUERY_ROOTS.drafts] }),
  })
}
