// The mailbox labels as the app shows them: Gmail's system labels in a fixed order with readable names.
import type { components } from '@/api/schema'

export type Label = components['schemas']['LabelOut']

export const SYSTEM_LABELS = [
  { id: 'INBOX', name: 'Inbox' },
  { id: 'STARRED', name: 'Starred' },
  { id: 'SENT', name: 'Sent' },
  { id: 'DRAFT', name: 'Drafts' },
  { id: 'SPAM', name: 'Spam' },
  { id: 'TRASH', name: 'Trash' },
] as const

// Unread counts mean nothing for mail you wrote or threw away.
const NO_UNREAD_COUNT = new Set(['SENT', 'DRAFT', 'TRASH'])

export function showsUnreadCount(labelId: string): boolean {
  return !NO_UNREAD_COUNT.has(labelId)
}

/** Where a label's entry leads. Drafts open in the drafts screen, where they can be edited and sent, not read-only. */
export function labelPath(labelId: string): string {
  return labelId === 'DRAFT' ? '/drafts' : `/mail/${encodeURIComponent(labelId)}`
}

export function isUserLabel(label: Label): boolean {
  return label.type === 'user'
}

/** The name to show for a label id: the system name, the user label's name, or the id itself. */
export function labelName(labelId: string, labels: readonly Label[] | undefined): string {
  const system = SYSTEM_LABELS.find((l) => l.id === labelId)
  if (system) return system.name
  return labels?.find((l) => l.id === labelId)?.name ?? labelId
}

export function userLabels(labels: readonly Label[] | undefined): Label[] {
  return (labels ?? []).filter(isUserLabel).sort((a, b) => a.name.localeCompare(b.name))
}
