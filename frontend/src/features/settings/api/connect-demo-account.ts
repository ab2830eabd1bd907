// POST /mail/accounts/demo: connect the sample mailbox and make it the one the screens show.
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { api, unwrap } from '@/api/client'
import { setActiveAccountId } from '@/lib/active-account'
import { QUERY_ROOTS } from '@/lib/query-keys'

export async function connectDemoAccount() {
  return unwrap(api.POST('/api/v1/mail/accounts/demo'))
}

export function useConnectDemoAccount() {
  const queryClient = useQueryClient()
  return useMutation({
    mutationFn: connectDemoAccount,
    onSuccess: async (account) => {
      setActiveAccountId(account.id)
      await Promise.all(
        [QUERY_ROOTS.accounts, QUERY_ROOTS.labels, QUERY_ROOTS.emails].map((root) => queryClient.invalidateQueries({ queryKey: [root] })),
      )
    },
  })
}
