// POST /mail/accounts/imap: sign in to an IMAP/SMTP mailbox with an (app) password and make it the one the screens show.
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { api, unwrap } from '@/api/client'
import type { components } from '@/api/schema'
import { setActiveAccountId } from '@/lib/active-account'
import { QUERY_ROOTS } from '@/lib/query-keys'

export type ImapConnect = components['schemas']['ImapConnectIn']

export async function connectImapAccount(body: ImapConnect) {
  return unwrap(api.POST('/api/v1/mail/accounts/imap', { body }))
}

export function useConnectImapAccount() {
  const queryClient = useQueryClient()
  return useMutation({
    mutationFn: connectImapAccount,
    onSuccess: async (account) => {
      setActiveAccountId(account.id)
      await Promise.all(
        [QUERY_ROOTS.accounts, QUERY_ROOTS.labels, QUERY_ROOTS.emails].map((root) => queryClient.invalidateQueries({ queryKey: [root] })),
      )
    },
  })
}
