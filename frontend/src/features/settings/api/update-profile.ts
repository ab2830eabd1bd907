// PATCH /auth/me: change your display name and undo-send window; the session's user follows at once.
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { api, unwrap } from '@/api/client'
import type { components } from '@/api/schema'
import { updateUser } from '@/lib/auth-session'
import { QUERY_ROOTS } from '@/lib/query-keys'

export type ProfilePatch = components['schemas']['ProfilePatch']

export async function updateProfile(body: ProfilePatch) {
  return unwrap(api.PATCH('/api/v1/auth/me', { body }))
}

export function useUpdateProfile() {
  const queryClient = useQueryClient()
  return useMutation({
    mutationFn: updateProfile,
    onSuccess: (me) => {
      updateUser(me)
      queryClient.setQueryData([QUERY_ROOTS.me], me)
    },
  })
}
