// GET /contacts/suggestions: people from recent mail matching what was typed in a recipient field.
import { queryOptions } from '@tanstack/react-query'
import { api, unwrap } from '@/api/client'
import { QUERY_ROOTS } from '@/lib/query-keys'

const SUGGESTION_LIMIT = 8

export function getContactSuggestions(q: string, account: string | null) {
  const query = { q, limit: SUGGESTION_LIMIT, ...(account ? { account } : {}) }
  return unwrap(api.GET('/api/v1/contacts/suggestions', { params: { query } }))
}

export function contactSuggestionsQueryOptions(q: string, account: string | null) {
  return queryOptions({
    queryKey: [QUERY_ROOTS.contacts, account, 'suggestions', q],
    queryFn: () => getContactSuggestions(q, account),
    enabled: q.trim().length > 0,
    staleTime: 60_000,
  })
}
