// PATCH /auth/me {conversation_view}: the person's choice of list, kept with them on the server (issue 17).
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { api, unwrap } from '@/api/client'
import { updateUser } from '@/lib/auth-session'
import { QUERY_ROOTS } from '@/lib/query-keys'

export function useSetConversationView() {
  const queryClient = useQueryClient()
  return useMutation({
    mutationFn: (on: boolean) => unwrap(api.PATCH('/api/v1/auth/me', { body: { conversation_view: on } })),
    onSuccess: (me) => {
      updateUser(me)
      void queryClient.invalidateQueries({ queryKey: [QUERY_ROOTS.emails] })
    },
  })
}
