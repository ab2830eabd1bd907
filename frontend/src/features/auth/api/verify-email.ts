// POST /auth/verify-email: confirm the address with the token from the verification link.
import { useMutation } from '@tanstack/react-query'
import { api, unwrap } from '@/api/client'

export async function verifyEmail(token: string) {
  return unwrap(api.POST('/api/v1/auth/verify-email', { body: { token } }))
}

export function useVerifyEmail() {
  return useMutation({ mutationFn: verifyEmail })
}
