// Test data for the mail screens: labels, summaries and full messages shaped like the API's responses.
import type { Message } from '../api/get-thread'
import type { MessageSummary } from '../api/search-emails'
import type { Label } from '../types/labels'

export const ACCOUNT = {
  id: 'a1',
  provider: 'google',
  address: 'me@example.com',
  status: 'active',
  scopes: [],
  created_at: '2024-01-01T00:00:00Z',
  last_error: null,
}

export const LABELS: Label[] = [
  { id: 'INBOX', name: 'INBOX', type: 'system', messages_total: 120, messages_unread: 3 },
  { id: 'SENT', name: 'SENT', type: 'system', messages_total: 40, messages_unread: 0 },
  { id: 'SPAM', name: 'SPAM', type: 'system', messages_total: 2, messages_unread: 2 },
  { id: 'TRASH', name: 'TRASH', type: 'system', messages_total: 5, messages_unread: 1 },
  { id: 'Label_2', name: 'Work', type: 'user', messages_total: 10, messages_unread: 4 },
  { id: 'Label_1', name: 'Receipts', type: 'user', messages_total: 7, messages_unread: 0 },
]

export function summary(index: number, overrides: Partial<MessageSummary> = {}): MessageSummary {
  return {
    id: `m${index}`,
    thread_id: `t${index}`,
    account: { id: ACCOUNT.id, address: ACCOUNT.address, provider: ACCOUNT.provider },
    from: { name: `Sender ${index}`, address: `sender${index}@example.com` },
    to: [{ name: '', address: 'me@example.com' }],
    subject: `Subject ${index}`,
    snippet: `Snippet ${index}`,
    date: '2024-03-01T10:00:00Z',
    label_ids: ['INBOX'],
    unread: false,
    starred: false,
    has_attachments: false,
    ...overrides,
  }
}

export function fullMessage(index: number, overrides: Partial<Message> = {}): Message {
  return {
    ...summary(index),
    cc: [],
    bcc: [],
    reply_to: [],
    text_body: `Body ${index}`,
    html: null,
    attachments: [],
    message_id_header: null,
    in_reply_to: null,
    ...overrides,
  }
}

/** jsdom has no layout: give scroll containers a height so the virtualizer renders rows. */
export function fakeViewportHeight(height: number): () => void {
  const original = Object.getOwnPropertyDescriptor(HTMLElement.prototype, 'clientHeight')
  Object.defineProperty(HTMLElement.prototype, 'clientHeight', { configurable: true, get: () => height })
  return () => {
    if (original) Object.defineProperty(HTMLElement.prototype, 'clientHeight', original)
  }
}
