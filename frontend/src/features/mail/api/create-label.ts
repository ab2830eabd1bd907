// POST /labels: a new user label in the active mailbox.
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { api, unwrap } from '@/api/client'
import { useActiveAccountId } from '@/lib/active-account'
import { QUERY_ROOTS } from '@/lib/query-keys'

export function createLabel(accountId: string | null, name: string) {
  return unwrap(api.POST('/api/v1/labels', { params: { query: { account: accountId ?? undefined } }, body: { name } }))
}

export function useCreateLabel() {
  const accountId = useActiveAccountId()
  const queryClient = useQueryClient()
  return useMutation({
    mutationFn: (name: string) => createLabel(accountId, name),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: [QUERY_ROOTS.labels] }),
  })
}
