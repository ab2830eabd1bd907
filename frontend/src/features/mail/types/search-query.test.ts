// The Filters form writes Gmail syntax into the search text and reads it back.
import { describe, expect, it } from 'vitest'
import { buildSearchQuery, EMPTY_FILTERS, parseSearchQuery, tokenize, updateSearchQuery } from './search-query'

describe('search query syntax', () => {
  it('builds Gmail syntax from the filters', () => {
    const query = buildSearchQuery({
      text: 'invoice',
      from: 'alice@example.com',
      after: '2024-01-05',
      before: '2024-02-01',
      label: 'Receipts',
      hasAttachment: true,
      unread: true,
    })
    expect(query).toBe('invoice from:alice@example.com after:2024/01/05 before:2024/02/01 label:Receipts has:attachment is:unread')
  })

  it('round-trips filters through the query text', () => {
    const filters = { ...EMPTY_FILTERS, text: 'quarterly "board meeting"', from: 'Bob Smith', after: '2023-12-31', label: 'My work', unread: true }
    expect(parseSearchQuery(buildSearchQuery(filters))).toEqual(filters)
  })

  it('parses a typed query, accepting dashes in dates and keeping what it does not understand', () => {
    const parsed = parseSearchQuery('from:"Ann Lee" -from:spam@x.com (from:a OR from:b) before:2024-3-7 has:attachment hello is:starred')
    expect(parsed.from).toBe('Ann Lee')
    expect(parsed.before).toBe('2024-03-07')
    expect(parsed.hasAttachment).toBe(true)
    expect(parsed.unread).toBe(false)
    expect(parsed.text).toBe('-from:spam@x.com (from:a OR from:b) hello is:starred')
  })

  it('keeps a repeated operator in the text instead of losing it', () => {
    const parsed = parseSearchQuery('from:a from:b')
    expect(parsed.from).toBe('a')
    expect(parsed.text).toBe('from:b')
    expect(buildSearchQuery(parsed)).toBe('from:b from:a')
  })

  it('leaves a malformed date in the text', () => {
    expect(parseSearchQuery('after:yesterday')).toEqual({ ...EMPTY_FILTERS, text: 'after:yesterday' })
  })

  it('updates one filter and keeps the rest of the query', () => {
    expect(updateSearchQuery('report from:bob is:unread', { unread: false, hasAttachment: true })).toBe(
      'report from:bob has:attachment',
    )
    expect(updateSearchQuery('report from:bob', { from: '' })).toBe('report')
  })

  it('tokenizes quoted phrases as one token', () => {
    expect(tokenize('a "b c" from:"d e" f')).toEqual(['a', '"b c"', 'from:"d e"', 'f'])
  })
})
