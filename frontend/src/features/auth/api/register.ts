// POST /auth/register: create a pending account; the backend e-mails a verification link.
import { useMutation } from '@tanstack/react-query'
import { api, unwrap } from '@/api/client'
import type { components } from '@/api/schema'

export type Registration = components['schemas']['RegisterIn']

export async function register(registration: Registration) {
  return unwrap(api.POST('/api/v1/auth/register', { body: registration }))
}

export function useRegister() {
  return useMutation({ mutationFn: register })
}
