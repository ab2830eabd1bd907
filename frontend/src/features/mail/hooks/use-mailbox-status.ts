// Whether the user has a mailbox to show: screens skip mail requests (which would 404) until one is connected.
import { useQuery } from '@tanstack/react-query'
import { accountsQueryOptions } from '../api/list-accounts'

export type MailboxStatus = 'loading' | 'none' | 'connected'

export function useMailboxStatus(): MailboxStatus {
  const accounts = useQuery(accountsQueryOptions())
  if (accounts.isPending) return 'loading'
  // If the list itself failed, let the mail requests run and show their own errors.
  if (accounts.isSuccess && accounts.data.length === 0) return 'none'
  return 'connected'
}
