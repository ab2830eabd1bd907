// GET /mail/accounts: the address of the mailbox a reply is sent from, so a reply-all leaves it out.
import { queryOptions, useQuery } from '@tanstack/react-query'
import { api, unwrap } from '@/api/client'
import { QUERY_ROOTS } from '@/lib/query-keys'

export function ownAddressQueryOptions(account: string | null) {
  return queryOptions({
    queryKey: [QUERY_ROOTS.accounts],
    queryFn: ({ signal }) => unwrap(api.GET('/api/v1/mail/accounts', { signal })),
    select: (accounts) => (accounts.find((a) => a.id === account) ?? accounts[0])?.address ?? null,
  })
}

export function useOwnAddress(account: string | null): string | null {
  return useQuery(ownAddressQueryOptions(account)).data ?? null
}
