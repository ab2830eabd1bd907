// DELETE /api-keys/{id}: the key stops working at once (it stays in the list, marked revoked).
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { api, unwrap } from '@/api/client'
import { QUERY_ROOTS } from '@/lib/query-keys'

export async function revokeApiKey(keyId: string) {
  return unwrap(api.DELETE('/api/v1/api-keys/{key_id}', { params: { path: { key_id: keyId } } }))
}

export function useRevokeApiKey() {
  const queryClient = useQueryClient()
  return useMutation({
    mutationFn: revokeApiKey,
    onSettled: () => queryClient.invalidateQueries({ queryKey: [QUERY_ROOTS.apiKeys] }),
  })
}
