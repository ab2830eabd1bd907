// GET /mail/accounts/imap/presets: the providers whose IMAP/SMTP servers are known, with where to make an app password.
import { queryOptions } from '@tanstack/react-query'
import { api, unwrap } from '@/api/client'

export async function fetchImapPresets() {
  return unwrap(api.GET('/api/v1/mail/accounts/imap/presets'))
}

export function imapPresetsQueryOptions() {
  return queryOptions({ queryKey: ['imap-presets'], queryFn: fetchImapPresets, staleTime: Infinity })
}
