// POST /emails/draft (first save) and PUT /emails/draft/{id} (every later save of the same draft).
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { api, unwrap } from '@/api/client'
import type { components } from '@/api/schema'
import { QUERY_ROOTS } from '@/lib/query-keys'

export type DraftBody = components['schemas']['DraftIn']

export interface SaveDraftInput {
  draftId: string | null
  body: DraftBody
  account: string | null
}

export function saveDraft({ draftId, body, account }: SaveDraftInput) {
  const query = account ? { account } : {}
  if (draftId) {
    return unwrap(api.PUT('/api/v1/emails/draft/{draft_id}', { params: { path: { draft_id: draftId }, query }, body }))
  }
  return unwrap(api.POST('/api/v1/emails/draft', { params: { query }, body }))
}

export function useSaveDraft() {
  const queryClient = useQueryClient()
  return useMutation({
    mutationFn: saveDraft,
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: [QUERY_ROOTS.drafts] }),
  })
}
