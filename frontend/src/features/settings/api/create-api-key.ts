// POST /api-keys: create a key; the answer holds the full key, the only time it is ever shown.
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { api, unwrap } from '@/api/client'
import type { components } from '@/api/schema'
import { QUERY_ROOTS } from '@/lib/query-keys'

export type NewApiKey = components['schemas']['ApiKeyIn']

export async function createApiKey(key: NewApiKey) {
  return unwrap(api.POST('/api/v1/api-keys', { body: key }))
}

export function useCreateApiKey() {
  const queryClient = useQueryClient()
  return useMutation({
    mutationFn: createApiKey,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: [QUERY_ROOTS.apiKeys] }),
  })
}
