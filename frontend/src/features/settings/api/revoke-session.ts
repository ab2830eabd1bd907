// DELETE /auth/sessions/{id}: sign out one of your other sessions.
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { api, unwrap } from '@/api/client'
import { QUERY_ROOTS } from '@/lib/query-keys'

export async function revokeSession(sessionId: string) {
  return unwrap(api.DELETE('/api/v1/auth/sessions/{session_id}', { params: { path: { session_id: sessionId } } }))
}

export function useRevokeSession() {
  const queryClient = useQueryClient()
  return useMutation({
    mutationFn: revokeSession,
    onSettled: () => queryClient.invalidateQueries({ queryKey: [QUERY_ROOTS.me, 'sessions'] }),
  })
}
