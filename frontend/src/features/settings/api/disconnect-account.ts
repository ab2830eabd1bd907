// DELETE /mail/accounts/{id}: revoke our access to a mailbox and forget its tokens.
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { api, unwrap } from '@/api/client'
import { getActiveAccountId, setActiveAccountId } from '@/lib/active-account'
import { QUERY_ROOTS } from '@/lib/query-keys'

export async function disconnectAccount(accountId: string) {
  return unwrap(api.DELETE('/api/v1/mail/accounts/{account_id}', { params: { path: { account_id: accountId } } }))
}

export function useDisconnectAccount() {
  const queryClient = useQueryClient()
  return useMutation({
    mutationFn: disconnectAccount,
    onSuccess: async (_account, accountId) => {
      // The screens would otherwise keep asking for a mailbox that no longer exists.
      if (getActiveAccountId() === accountId) setActiveAccountId(null)
      await Promise.all(
        [QUERY_ROOTS.accounts, QUERY_ROOTS.labels, QUERY_ROOTS.emails].map((root) => queryClient.invalidateQueries({ queryKey: [root] })),
      )
    },
  })
}
