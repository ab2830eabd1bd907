// GET /mail/accounts: the mailboxes a new message can be sent from (the From picker).
import { queryOptions } from '@tanstack/react-query'
import { api, unwrap } from '@/api/client'
import type { components } from '@/api/schema'
import { QUERY_ROOTS } from '@/lib/query-keys'

export type FromAccount = components['schemas']['MailAccountOut']

export function fromAccountsQueryOptions() {
  // the same cache entry as the mailbox switcher's account list
  return queryOptions({ queryKey: [QUERY_ROOTS.accounts], queryFn: ({ signal }) => unwrap(api.GET('/api/v1/mail/accounts', { signal })) })
}
