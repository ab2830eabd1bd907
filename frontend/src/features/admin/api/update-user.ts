// PATCH /admin/users/{id}: change a user's role or disable/enable them (disabling signs them out everywhere).
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { api, unwrap } from '@/api/client'
import type { components } from '@/api/schema'
import { QUERY_ROOTS } from '@/lib/query-keys'

export type UserChange = components['schemas']['AdminUserPatch']

export async function updateUser({ userId, change }: { userId: string; change: UserChange }) {
  return unwrap(api.PATCH('/api/v1/admin/users/{user_id}', { params: { path: { user_id: userId } }, body: change }))
}

export function useUpdateUser() {
  const queryClient = useQueryClient()
  return useMutation({
    mutationFn: updateUser,
    onSettled: () => queryClient.invalidateQueries({ queryKey: [QUERY_ROOTS.admin, 'users'] }),
  })
}
