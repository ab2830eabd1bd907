// POST /auth/me/image-senders: always show remote images from this sender (kept with the user, on every device).
import { useMutation } from '@tanstack/react-query'
import { api, unwrap } from '@/api/client'
import { updateUser } from '@/lib/auth-session'

export async function allowSenderImages(address: string) {
  return unwrap(api.POST('/api/v1/auth/me/image-senders', { body: { address } }))
}

export function useAllowSenderImages() {
  return useMutation({ mutationFn: allowSenderImages, onSuccess: (me) => updateUser(me) })
}
