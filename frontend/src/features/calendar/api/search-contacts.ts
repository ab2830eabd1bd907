// GET /contacts/search?q=: the address book (names, addresses, organisations), accent- and case-insensitive.
import { queryOptions } from '@tanstack/react-query'
import { api, unwrap } from '@/api/client'
import type { components } from '@/api/schema'
import { QUERY_ROOTS } from '@/lib/query-keys'

export type Contact = components['schemas']['ContactOut']

export function searchContacts(q: string, limit = 25) {
  return unwrap(api.GET('/api/v1/contacts/search', { params: { query: { q, limit } } }))
}

export function contactSearchQueryOptions(q: string, limit = 25) {
  return queryOptions({
    queryKey: [QUERY_ROOTS.contacts, 'search', q, limit],
    queryFn: () => searchContacts(q, limit),
    staleTime: 60_000,
  })
}
