// A message's key in a list: ids are only unique within one account, and the unified inbox shows several.
import type { MessageSummary } from '../api/search-emails'

export function messageKey(message: Pick<MessageSummary, 'id' | 'account'>): string {
  return `${message.account.id}/${message.id}`
}
