import { readFilters, toQuery, writeFilters } from './audit-filters'

describe('audit filters', () => {
  it('hides routine actions by default, but never the action asked for by name', () => {
    const filters = readFilters(new URLSearchParams(''))
    expect(toQuery(filters).exclude_action).toEqual(['auth.refresh', 'mail.search', 'mail.read'])
    expect(toQuery({ ...filters, action: 'auth.refresh' }).exclude_action).toEqual(['mail.search', 'mail.read'])
    expect(toQuery({ ...filters, show: 'all' }).exclude_action).toBeUndefined()
  })

  it('sends an address as actor and anything else as a user id', () => {
    const filters = readFilters(new URLSearchParams('actor=%20Alice%40Example.com%20'))
    expect(toQuery(filters)).toMatchObject({ actor: 'Alice@Example.com' })
    expect(toQuery(readFilters(new URLSearchParams('actor=0b5c')))).toMatchObject({ user_id: '0b5c' })
  })

  it('falls back to the default preset for an unknown one and keeps it out of the URL', () => {
    const filters = readFilters(new URLSearchParams('show=bogus&action=x'))
    expect(filters.show).toBe('routine')
    expect(writeFilters(filters).toString()).toBe('action=x')
    expect(writeFilters({ ...filters, show: 'all' }, 50).toString()).toBe('action=x&show=all&offset=50')
  })
})
