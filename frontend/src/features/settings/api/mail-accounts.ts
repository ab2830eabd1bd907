// GET /mail/accounts: the connected mailboxes with their status (reauth_required means connect again).
import { queryOptions } from '@tanstack/react-query'
import { api, unwrap } from '@/api/client'
import { QUERY_ROOTS } from '@/lib/query-keys'

export async function fetchMailAccounts() {
  return unwrap(api.GET('/api/v1/mail/accounts'))
}

export function mailAccountsQueryOptions() {
  return queryOptions({ queryKey: [QUERY_ROOTS.accounts], queryFn: fetchMailAccounts })
}
