// POST /auth/reset-password: ask for a reset link (the answer is the same whether or not the account exists).
import { useMutation } from '@tanstack/react-query'
import { api, unwrap } from '@/api/client'

export async function requestPasswordReset(email: string) {
  return unwrap(api.POST('/api/v1/auth/reset-password', { body: { email } }))
}

export function useRequestPasswordReset() {
  return useMutation({ mutationFn: requestPasswordReset })
}
