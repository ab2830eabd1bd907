// GET /emails/{id}: the message being replied to or forwarded (subject, sender, text to quote).
import { queryOptions } from '@tanstack/react-query'
import { api, unwrap } from '@/api/client'
import { QUERY_ROOTS } from '@/lib/query-keys'

export function getEmail(messageId: string, account: string | null) {
  return unwrap(api.GET('/api/v1/emails/{message_id}', { params: { path: { message_id: messageId }, query: account ? { account } : {} } }))
}

export function originalEmailQueryOptions(messageId: string, account: string | null) {
  return queryOptions({
    queryKey: [QUERY_ROOTS.emails, account, 'message', messageId],
    queryFn: () => getEmail(messageId, account),
    staleTime: Infinity,
  })
}
