// What the agent changed on its own in a turn (labels, read state, archive, drafts), each with Undo.
import { useState } from 'react'
import { Button } from '@/components/button'
import { ErrorMessage } from '@/components/error-message'
import type { AgentChange } from '../types/agent'

export interface ChangesListProps {
  changes: AgentChange[]
  onUndo: (change: AgentChange) => Promise<void>
}

export function ChangesList({ changes, onUndo }: ChangesListProps) {
  const [busy, setBusy] = useState<string | null>(null)
  const [error, setError] = useState<unknown>(null)
  const undoable = changes.filter((c) => c.undoable)

  const run = async (targets: AgentChange[], key: string) => {
    if (busy) return
    setBusy(key)
    setError(null)
    try {
      for (const target of [...targets].reverse()) await onUndo(target) // newest first
    } catch (failure) {
      setError(failure)
    } finally {
      setBusy(null)
    }
  }

  if (changes.length === 0) return null
  return (
    <section aria-label="Changes the agent made" className="rounded-md border border-slate-200 bg-white px-3 py-2 text-sm">
      <p className="text-xs font-semibold uppercase tracking-wide text-slate-600">Changed on its own — you can undo</p>
      <ul className="mt-1 space-y-1">
        {changes.map((c) => (
          <li key={c.id} className="flex flex-wrap items-center justify-between gap-2">
            <span className={c.undone_at ? 'text-slate-500 line-through' : 'text-slate-900'}>{c.summary}</span>
            {c.undone_at ? (
              <span className="text-xs text-slate-600">Undone</span>
            ) : (
              c.undoable && (
                <Button size="sm" busy={busy === c.id} disabled={busy !== null} onClick={() => void run([c], c.id)} aria-label={`Undo: ${c.summary}`}>
                  Undo
                </Button>
              )
            )}
          </li>
        ))}
      </ul>
      {undoable.length > 1 && (
        <Button size="sm" className="mt-2" busy={busy === 'all'} disabled={busy !== null} onClick={() => void run(undoable, 'all')}>
          Undo all
        </Button>
      )}
      <ErrorMessage error={error} className="mt-1" />
    </section>
  )
}
