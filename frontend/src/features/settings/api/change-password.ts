// POST /auth/me/password: change your password (the current one required); other sessions are signed out.
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { api, unwrap } from '@/api/client'
import type { components } from '@/api/schema'
import { QUERY_ROOTS } from '@/lib/query-keys'

export type PasswordChange = components['schemas']['PasswordChangeIn']

export async function changePassword(body: PasswordChange) {
  return unwrap(api.POST('/api/v1/auth/me/password', { body }))
}

export function useChangePassword() {
  const queryClient = useQueryClient()
  return useMutation({
    mutationFn: changePassword,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: [QUERY_ROOTS.me, 'sessions'] }),
  })
}
