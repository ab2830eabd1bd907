// A recipient field as chips with autocomplete from recent contacts (ARIA 1.2 combobox with a listbox popup).
import { useQuery } from '@tanstack/react-query'
import { useId, useState, type KeyboardEvent } from 'react'
import { useActiveAccountId } from '@/lib/active-account'
import { contactSuggestionsQueryOptions } from '../api/contact-suggestions'
import { useDebouncedValue } from '../hooks/use-debounced-value'
import { recipientFromSuggestion, splitRecipients, type Recipient } from '../lib/recipients'

export interface RecipientInputProps {
  label: string
  recipients: Recipient[]
  onRecipientsChange: (recipients: Recipient[]) => void
  /** What is typed but not yet a chip; the form reads it too, so a typed address is never lost on Send. */
  text: string
  onTextChange: (text: string) => void
  error?: string | undefined
  autoFocus?: boolean
}

const SUGGEST_DELAY_MS = 200

export function RecipientInput({ label, recipients, onRecipientsChange, text, onTextChange, error, autoFocus }: RecipientInputProps) {
  const id = useId()
  const account = useActiveAccountId()
  const [focused, setFocused] = useState(false)
  const [dismissed, setDismissed] = useState(false)
  const [active, setActive] = useState(-1)
  const query = useDebouncedValue(text.trim(), SUGGEST_DELAY_MS)
  const suggestions = useQuery(contactSuggestionsQueryOptions(query, account))
  const chosen = new Set(recipients.map((r) => r.address.toLowerCase()))
  const options = text.trim() ? (suggestions.data ?? []).filter((s) => !chosen.has(s.address.toLowerCase())) : []
  const open = focused && !dismissed && options.length > 0
  const activeIndex = open && active < options.length ? active : -1

  const listboxId = `${id}-listbox`
  const optionId = (index: number) => `${id}-option-${index}`
  const invalid = recipients.filter((r) => !r.valid)
  const invalidId = `${id}-invalid`
  const errorId = `${id}-error`
  const describedBy = [invalid.length ? invalidId : null, error ? errorId : null].filter(Boolean).join(' ') || undefined

  const changeText = (value: string) => {
    setActive(-1)
    setDismissed(false)
    // Typed or pasted separators turn what comes before them into chips.
    const last = Math.max(value.lastIndexOf(','), value.lastIndexOf(';'), value.lastIndexOf('\n'))
    if (last >= 0) {
      add(splitRecipients(value.slice(0, last)))
      onTextChange(value.slice(last + 1).trimStart())
    } else {
      onTextChange(value)
    }
  }

  const add = (added: Recipient[]) => {
    const fresh = added.filter((r) => !chosen.has(r.address.toLowerCase()))
    if (fresh.length) onRecipientsChange([...recipients, ...fresh])
  }

  const commitText = () => {
    if (!text.trim()) return
    add(splitRecipients(text))
    onTextChange('')
    setActive(-1)
  }

  const accept = (index: number) => {
    const option = options[index]
    if (!option) return
    add([recipientFromSuggestion(option.name, option.address)])
    onTextChange('')
    setActive(-1)
  }

  const remove = (index: number) => onRecipientsChange(recipients.filter((_, i) => i !== index))

  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    switch (event.key) {
      case 'ArrowDown':
        if (!options.length) return
        event.preventDefault()
        setDismissed(false)
        setActive(activeIndex < 0 ? 0 : (activeIndex + 1) % options.length)
        return
      case 'ArrowUp':
        if (!options.length) return
        event.preventDefault()
        setDismissed(false)
        setActive(activeIndex <= 0 ? options.length - 1 : activeIndex - 1)
        return
      case 'Enter':
        if (event.ctrlKey || event.metaKey) {
          commitText() // Ctrl/Cmd+Enter sends: the typed address goes with it.
          return
        }
        if (activeIndex >= 0) {
          event.preventDefault()
          accept(activeIndex)
        } else if (text.trim()) {
          event.preventDefault()
          commitText()
        }
        return
      case 'Tab':
        // Tab accepts and still moves on to the next field.
        if (activeIndex >= 0) accept(activeIndex)
        else commitText()
        return
      case ',':
      case ';':
        event.preventDefault()
        if (activeIndex >= 0) accept(activeIndex)
        else commitText()
        return
      case 'Backspace':
        if (!text && recipients.length) remove(recipients.length - 1)
        return
      case 'Escape':
        if (open) {
          event.preventDefault()
          event.stopPropagation()
          setDismissed(true)
        }
        return
      default:
        return
    }
  }

  return (
    <div className="relative flex flex-col gap-1">
      <label htmlFor={`${id}-input`} className="text-sm font-medium text-slate-700">
        {label}
      </label>
      <div
        className={`flex flex-wrap items-center gap-1 rounded-md border bg-white px-2 py-1 focus-within:border-brand-600 focus-within:ring-2 focus-within:ring-brand-100 ${
          invalid.length || error ? 'border-red-500' : 'border-slate-300'
        }`}
      >
        {recipients.length > 0 && (
          <ul aria-label={`${label} recipients`} className="contents">
            {recipients.map((recipient, index) => (
              <li
                key={`${recipient.address}-${index}`}
                title={recipient.value}
                className={`flex items-center gap-1 rounded-full py-0.5 pl-2.5 pr-1 text-sm ${
                  recipient.valid ? 'bg-slate-100 text-slate-800' : 'bg-red-50 text-red-800 ring-1 ring-red-400'
                }`}
              >
                <span>{recipient.label}</span>
                {!recipient.valid && <span className="sr-only">(not a valid address)</span>}
                <button
                  type="button"
                  aria-label={`Remove ${recipient.address}`}
                  onClick={() => remove(index)}
                  className="rounded-full px-1 text-slate-600 hover:bg-slate-200 hover:text-slate-900"
                >
                  <span aria-hidden="true">×</span>
                </button>
              </li>
            ))}
          </ul>
        )}
        <input
          id={`${id}-input`}
          type="text"
          role="combobox"
          autoComplete="off"
          autoFocus={autoFocus}
          aria-autocomplete="list"
          aria-expanded={open}
          aria-controls={listboxId}
          aria-activedescendant={activeIndex >= 0 ? optionId(activeIndex) : undefined}
          aria-invalid={invalid.length || error ? true : undefined}
          aria-describedby={describedBy}
          value={text}
          onChange={(e) => changeText(e.target.value)}
          onKeyDown={onKeyDown}
          onFocus={() => setFocused(true)}
          onBlur={() => {
            setFocused(false)
            commitText()
          }}
          className="min-w-40 flex-1 border-0 px-1 py-1 text-sm focus:outline-none"
        />
      </div>
      <ul
        id={listboxId}
        role="listbox"
        aria-label={`${label} suggestions`}
        hidden={!open}
        className="absolute left-0 right-0 top-full z-20 mt-1 max-h-64 overflow-y-auto rounded-md border border-slate-200 bg-white py-1 shadow-lg"
      >
        {open &&
          options.map((option, index) => (
            <li
              key={option.address}
              id={optionId(index)}
              role="option"
              aria-selected={index === activeIndex}
              // mousedown, not click: the input keeps focus (its blur would turn the typed text into a chip).
              onMouseDown={(event) => {
                event.preventDefault()
                accept(index)
              }}
              onMouseEnter={() => setActive(index)}
              className={`cursor-pointer px-3 py-1.5 text-sm ${index === activeIndex ? 'bg-brand-50 text-brand-700' : 'text-slate-800'}`}
            >
              {option.name ? (
                <>
                  <span className="font-medium">{option.name}</span> <span className="text-slate-600">{option.address}</span>
                </>
              ) : (
                option.address
              )}
              {option.in_contacts && <span className="ml-2 rounded bg-slate-100 px-1 text-xs text-slate-600">Contact</span>}
            </li>
          ))}
      </ul>
      {invalid.length > 0 && (
        <p id={invalidId} className="text-sm text-red-700">
          {invalid.length === 1 ? 'Not a valid e-mail address: ' : 'Not valid e-mail addresses: '}
          {invalid.map((r) => r.value).join(', ')}
        </p>
      )}
      {error && (
        <p id={errorId} className="text-sm text-red-700">
          {error}
        </p>
      )}
    </div>
  )
}
