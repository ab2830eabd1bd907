// POST /auth/login: e-mail and password for an access token; the refresh token goes into an httpOnly cookie.
import { useMutation } from '@tanstack/react-query'
import { api, unwrap } from '@/api/client'
import type { components } from '@/api/schema'
import { setActiveAccountId } from '@/lib/active-account'
import { signIn } from '@/lib/auth-session'

export type LoginCredentials = Pick<components['schemas']['LoginIn'], 'email' | 'password'>

export async function login(credentials: LoginCredentials) {
  // refresh_cookie: the browser keeps the refresh token where scripts cannot read it.
  return unwrap(api.POST('/api/v1/auth/login', { body: { ...credentials, refresh_cookie: true } }))
}

export function useLogin() {
  return useMutation({
    mutationFn: login,
    onSuccess: (tokens) => {
      // The remembered mailbox may belong to whoever used this browser before; start from the default one.
      setActiveAccountId(null)
      signIn(tokens)
    },
  })
}
