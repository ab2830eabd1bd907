// POST /auth/logout: end the session on the server (and its refresh cookie), then forget everything locally.
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { api } from '@/api/client'
import { signOutLocally } from '@/lib/auth-session'

export async function logout(): Promise<void> {
  try {
    await api.POST('/api/v1/auth/logout')
  } finally {
    // Even if the server is unreachable, this tab forgets the token: the person asked to sign out.
    signOutLocally('logout')
  }
}

export function useLogout() {
  const queryClient = useQueryClient()
  return useMutation({
    mutationFn: logout,
    onSettled: () => queryClient.clear(),
  })
}
