import { QueryClient } from '@tanstack/react-query'
import { envelope, mockApi } from '@/test/fetch-mock'
import { QUERY_ROOTS } from '@/lib/query-keys'
import { summary } from '../components/mail-test-fixtures'
import { applyLabelChanges, describeChange, inverseOf } from './batch-modify'

function cacheWith(messages: ReturnType<typeof summary>[]): QueryClient {
  const client = new QueryClient()
  client.setQueryData([QUERY_ROOTS.emails, 'acc-1', 'INBOX', ''], { pages: [{ messages, nextPageToken: null, notice: null }], pageParams: [null] })
  return client
}

describe('undoing a label change', () => {
  it('puts INBOX back only on the messages that had it, and takes TRASH off only where it was added', () => {
    const client = cacheWith([
      summary(1, { id: 'a', label_ids: ['INBOX', 'UNREAD'] }),
      summary(2, { id: 'b', label_ids: ['Label_1'] }),
      summary(3, { id: 'c', label_ids: ['INBOX', 'TRASH'] }),
    ])
    expect(inverseOf(client, { ids: ['a', 'b'], remove: ['INBOX'] })).toEqual([{ ids: ['a'], add: ['INBOX'], remove: [] }])
    expect(inverseOf(client, { ids: ['a', 'c'], add: ['TRASH'] })).toEqual([{ ids: ['a'], add: [], remove: ['TRASH'] }])
    // Read state: only what was unread becomes unread again.
    expect(inverseOf(client, { ids: ['a', 'b'], remove: ['UNREAD'] })).toEqual([{ ids: ['a'], add: ['UNREAD'], remove: [] }])
    // A message not in the cache gets the plain opposite.
    expect(inverseOf(client, { ids: ['zz'], remove: ['INBOX'] })).toEqual([{ ids: ['zz'], add: ['INBOX'], remove: [] }])
  })

  it('says what a change did', () => {
    expect(describeChange({ ids: ['a'], remove: ['INBOX'] })).toBe('Message archived')
    expect(describeChange({ ids: ['a', 'b'], add: ['TRASH'] }, new Map(), 'Conversation')).toBe('Conversation moved to Trash')
    expect(describeChange({ ids: ['a', 'b', 'c'], remove: ['UNREAD'] })).toBe('3 messages marked as read')
    expect(describeChange({ ids: ['a'], add: ['Label_1'] }, new Map([['Label_1', 'Work']]))).toBe('Label Work added')
  })

  it('applies the undo to the cache at once and to the server', async () => {
    const seen = mockApi({ 'POST /api/v1/emails/batch-modify': () => envelope({ modified: 1 }) })
    const client = cacheWith([summary(1, { id: 'a', label_ids: ['UNREAD'] })])
    await applyLabelChanges(client, 'acc-1', [{ ids: ['a'], add: ['INBOX'], remove: [] }])
    expect(seen.map((r) => r.body)).toEqual([{ ids: ['a'], add: ['INBOX'], remove: [] }])
    expect(seen[0]?.search.get('account')).toBe('acc-1')
  })
})
