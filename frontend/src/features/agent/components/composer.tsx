// The message box: Enter sends, Shift+Enter starts a new line; read-only while the agent is working.
import { useId, type KeyboardEvent, type RefObject } from 'react'
import { Button } from '@/components/button'

export interface ComposerProps {
  value: string
  onChange: (value: string) => void
  onSend: () => void
  working: boolean
  inputRef: RefObject<HTMLTextAreaElement | null>
}

export function Composer({ value, onChange, onSend, working, inputRef }: ComposerProps) {
  const id = useId()
  const hintId = `${id}-hint`
  const canSend = !working && value.trim().length > 0
  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    // Enter while an input method is composing picks a candidate; it must not send.
    if (event.key !== 'Enter' || event.shiftKey || event.nativeEvent.isComposing) return
    event.preventDefault()
    if (canSend) onSend()
  }
  return (
    <form
      className="flex items-end gap-2 border-t border-slate-200 bg-white p-3"
      onSubmit={(event) => {
        event.preventDefault()
        if (canSend) onSend()
      }}
    >
      <div className="flex min-w-0 flex-1 flex-col gap-1">
        <label htmlFor={id} className="sr-only">
          Message the agent
        </label>
        <textarea
          id={id}
          ref={inputRef}
          rows={2}
          value={value}
          readOnly={working}
          aria-disabled={working || undefined}
          aria-describedby={hintId}
          onChange={(event) => onChange(event.target.value)}
          onKeyDown={onKeyDown}
          placeholder="Ask the agent about your mail…"
          className="max-h-48 min-h-[2.75rem] resize-y rounded-md border border-slate-300 px-3 py-2 text-sm shadow-sm placeholder:text-slate-500 focus:border-brand-600 focus:outline-none focus:ring-2 focus:ring-brand-100 aria-disabled:bg-slate-50"
        />
        <p id={hintId} className="text-xs text-slate-600">
          Enter sends, Shift+Enter starts a new line.
        </p>
      </div>
      <Button type="submit" variant="primary" disabled={!canSend} className="mb-5">
        Send
      </Button>
    </form>
  )
}
