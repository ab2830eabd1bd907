// The search box (Gmail syntax) and its Filters panel, whose controls read and write that same query text.
import { useId, useState, type FormEvent, type Ref } from 'react'
import { Button } from '@/components/button'
import { parseSearchQuery, updateSearchQuery, type SearchFilters } from '../types/search-query'
import type { Label } from '../types/labels'

export interface SearchBarProps {
  /** The query in the URL; the bar is remounted (key) when it changes from outside, e.g. back/forward. */
  initialQuery: string
  labels: Label[]
  onSearch: (q: string) => void
  inputRef?: Ref<HTMLInputElement>
}

const inputClass = 'rounded-md border border-slate-300 bg-white px-2 py-1.5 text-sm'

export function SearchBar({ initialQuery, labels, onSearch, inputRef }: SearchBarProps) {
  const [draft, setDraft] = useState(initialQuery)
  const [filtersOpen, setFiltersOpen] = useState(false)
  const panelId = useId()
  const id = useId()
  // The controls are views of the text: whatever is typed (or pasted) shows up in them when it parses.
  const filters = parseSearchQuery(draft)
  const set = (changes: Partial<SearchFilters>) => setDraft(updateSearchQuery(draft, changes))
  const submit = (event: FormEvent) => {
    event.preventDefault()
    onSearch(draft.trim())
  }
  return (
    <form role="search" aria-label="Mail search" onSubmit={submit} className="flex flex-col gap-2 border-b border-slate-200 bg-white px-4 py-2">
      <div className="flex flex-wrap items-center gap-2">
        <input
          ref={inputRef}
          type="search"
          aria-label="Search mail"
          placeholder="Search mail (e.g. from:alice has:attachment)"
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
          className={`${inputClass} min-w-48 flex-1`}
        />
        <Button type="submit" variant="primary" size="sm">
          Search
        </Button>
        <Button size="sm" aria-expanded={filtersOpen} aria-controls={panelId} onClick={() => setFiltersOpen((v) => !v)}>
          Filters
        </Button>
        {initialQuery && (
          <Button
            size="sm"
            variant="ghost"
            onClick={() => {
              setDraft('')
              onSearch('')
            }}
          >
            Clear search
          </Button>
        )}
      </div>
      {filtersOpen && (
        <fieldset id={panelId} className="grid grid-cols-1 gap-3 rounded-md border border-slate-200 p-3 sm:grid-cols-2 lg:grid-cols-3">
          <legend className="px-1 text-sm font-medium text-slate-700">Filters</legend>
          <div className="flex flex-col gap-1">
            <label htmlFor={`${id}-from`} className="text-xs font-medium text-slate-700">
              From
            </label>
            <input id={`${id}-from`} className={inputClass} value={filters.from} onChange={(e) => set({ from: e.target.value })} />
          </div>
          <div className="flex flex-col gap-1">
            <label htmlFor={`${id}-after`} className="text-xs font-medium text-slate-700">
              After
            </label>
            <input id={`${id}-after`} type="date" className={inputClass} value={filters.after} onChange={(e) => set({ after: e.target.value })} />
          </div>
          <div className="flex flex-col gap-1">
            <label htmlFor={`${id}-before`} className="text-xs font-medium text-slate-700">
              Before
            </label>
            <input id={`${id}-before`} type="date" className={inputClass} value={filters.before} onChange={(e) => set({ before: e.target.value })} />
          </div>
          <div className="flex flex-col gap-1">
            <label htmlFor={`${id}-label`} className="text-xs font-medium text-slate-700">
              Label
            </label>
            <select id={`${id}-label`} className={inputClass} value={filters.label} onChange={(e) => set({ label: e.target.value })}>
              <option value="">Any label</option>
              {filters.label && !labels.some((l) => l.name === filters.label) && <option value={filters.label}>{filters.label}</option>}
              {labels.map((l) => (
                <option key={l.id} value={l.name}>
                  {l.name}
                </option>
              ))}
            </select>
          </div>
          <label className="flex items-center gap-2 text-sm text-slate-700">
            <input type="checkbox" checked={filters.hasAttachment} onChange={(e) => set({ hasAttachment: e.target.checked })} />
            Has attachment
          </label>
          <label className="flex items-center gap-2 text-sm text-slate-700">
            <input type="checkbox" checked={filters.unread} onChange={(e) => set({ unread: e.target.checked })} />
            Unread only
          </label>
        </fieldset>
      )}
    </form>
  )
}
