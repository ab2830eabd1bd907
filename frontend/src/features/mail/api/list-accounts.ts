// GET /mail/accounts: the connected mailboxes the switcher offers.
import { queryOptions } from '@tanstack/react-query'
import { api, unwrap } from '@/api/client'
import type { components } from '@/api/schema'
import { QUERY_ROOTS } from '@/lib/query-keys'

export type MailAccount = components['schemas']['MailAccountOut']

export function listAccounts(signal?: AbortSignal): Promise<MailAccount[]> {
  return unwrap(api.GET('/api/v1/mail/accounts', { signal }))
}

export function accountsQueryOptions() {
  return queryOptions({ queryKey: [QUERY_ROOTS.accounts], queryFn: ({ signal }) => listAccounts(signal) })
}
