// GET /emails/{id}/thread: the whole conversation of a message, oldest first.
import { queryOptions } from '@tanstack/react-query'
import { api, unwrap } from '@/api/client'
import type { components } from '@/api/schema'
import { QUERY_ROOTS } from '@/lib/query-keys'

export type Thread = components['schemas']['ThreadOut']
export type Message = components['schemas']['entrypoints__http__mail_schemas__MessageOut']
export type Attachment = components['schemas']['AttachmentOut']
export type Address = components['schemas']['AddressOut']

export function getThread(accountId: string | null, messageId: string, signal?: AbortSignal): Promise<Thread> {
  return unwrap(
    api.GET('/api/v1/emails/{message_id}/thread', {
      params: { path: { message_id: messageId }, query: { account: accountId ?? undefined } },
      signal,
    }),
  )
}

export function threadQueryOptions(accountId: string | null, messageId: string) {
  return queryOptions({
    queryKey: [QUERY_ROOTS.thread, accountId, messageId],
    queryFn: ({ signal }) => getThread(accountId, messageId, signal),
  })
}
