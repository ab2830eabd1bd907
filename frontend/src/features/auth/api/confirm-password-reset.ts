// POST /auth/reset-password/confirm: choose a new password with the token from the reset link.
import { useMutation } from '@tanstack/react-query'
import { api, unwrap } from '@/api/client'
import type { components } from '@/api/schema'

export type ResetConfirmation = components['schemas']['ResetConfirmIn']

export async function confirmPasswordReset(confirmation: ResetConfirmation) {
  return unwrap(api.POST('/api/v1/auth/reset-password/confirm', { body: confirmation }))
}

export function useConfirmPasswordReset() {
  return useMutation({ mutationFn: confirmPasswordReset })
}
