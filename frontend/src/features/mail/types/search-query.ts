// Gmail search syntax <-> the Filters form: builds the query text from filter values and reads them back out of it.

export interface SearchFilters {
  /** Everything in the query that is not one of the filters below, kept as typed. */
  text: string
  from: string
  /** YYYY-MM-DD, as a date input gives it. */
  after: string
  before: string
  label: string
  hasAttachment: boolean
  unread: boolean
}

export const EMPTY_FILTERS: SearchFilters = {
  text: '',
  from: '',
  after: '',
  before: '',
  label: '',
  hasAttachment: false,
  unread: false,
}

/** Split on whitespace, keeping "quoted phrases" (and key:"quoted values") in one token. */
export function tokenize(query: string): string[] {
  return query.match(/(?:[^\s"]+|"[^"]*"?)+/g) ?? []
}

function unquote(value: string): string {
  return value.replace(/^"/, '').replace(/"$/, '')
}

function quote(value: string): string {
  const clean = value.replace(/"/g, '')
  return /[\s()]/.test(clean) ? `"${clean}"` : clean
}

// Gmail accepts YYYY/MM/DD and YYYY-MM-DD; we write slashes and read either.
const DATE = /^(\d{4})[/-](\d{1,2})[/-](\d{1,2})$/

function dateParts(value: string): [string, string, string] | null {
  const [, year = '', month = '', day = ''] = DATE.exec(value) ?? []
  return year ? [year, month.padStart(2, '0'), day.padStart(2, '0')] : null
}

function toGmailDate(isoDate: string): string {
  return dateParts(isoDate)?.join('/') ?? isoDate
}

function fromGmailDate(value: string): string | null {
  return dateParts(value)?.join('-') ?? null
}

// A whole token `key:value` where value is bare (no parentheses, which belong to OR groups) or quoted.
const OPERATOR = /^(from|after|before|label|has|is):("[^"]*"?|[^\s()"]+)$/i

/** Read the filters out of a query; anything not understood (negations, OR groups, repeats) stays in `text`. */
export function parseSearchQuery(query: string): SearchFilters {
  const filters: SearchFilters = { ...EMPTY_FILTERS }
  const rest: string[] = []
  const seen = new Set<string>()
  for (const token of tokenize(query)) {
    const [, rawKey = '', rawValue = ''] = OPERATOR.exec(token) ?? []
    const key = rawKey.toLowerCase()
    const value = unquote(rawValue)
    // has: and is: may each appear with several values; the others once.
    const slot = key + (key === 'has' || key === 'is' ? value.toLowerCase() : '')
    let taken = false
    const date = fromGmailDate(value)
    if (key && !seen.has(slot)) {
      if (key === 'from' && value) {
        filters.from = value
        taken = true
      } else if ((key === 'after' || key === 'before') && date) {
        filters[key] = date
        taken = true
      } else if (key === 'label' && value) {
        filters.label = value
        taken = true
      } else if (key === 'has' && value.toLowerCase() === 'attachment') {
        filters.hasAttachment = true
        taken = true
      } else if (key === 'is' && value.toLowerCase() === 'unread') {
        filters.unread = true
        taken = true
      }
      if (taken) seen.add(slot)
    }
    if (!taken) rest.push(token)
  }
  filters.text = rest.join(' ')
  return filters
}

/** Write filters as Gmail syntax: the free text first, then the operators in a fixed order. */
export function buildSearchQuery(filters: SearchFilters): string {
  const parts: string[] = []
  if (filters.text.trim()) parts.push(filters.text.trim())
  // Not trimmed: the From field writes through this on every keystroke, and a space must survive to type "Ann Lee".
  if (filters.from.trim()) parts.push(`from:${quote(filters.from)}`)
  if (filters.after) parts.push(`after:${toGmailDate(filters.after)}`)
  if (filters.before) parts.push(`before:${toGmailDate(filters.before)}`)
  if (filters.label.trim()) parts.push(`label:${quote(filters.label.trim())}`)
  if (filters.hasAttachment) parts.push('has:attachment')
  if (filters.unread) parts.push('is:unread')
  return parts.join(' ')
}

/** Change some filters of an existing query, keeping the rest of what was typed. */
export function updateSearchQuery(query: string, changes: Partial<SearchFilters>): string {
  return buildSearchQuery({ ...parseSearchQuery(query), ...changes })
}
