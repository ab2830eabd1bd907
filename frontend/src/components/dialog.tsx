// A modal dialog on the native <dialog>: the browser traps focus and Escape closes it; focus returns on close.
import { useEffect, useId, useRef, type ReactNode } from 'react'

export interface DialogProps {
  open: boolean
  title: string
  onClose: () => void
  children: ReactNode
  footer?: ReactNode
  /** Long read-only content: the body can take focus so it scrolls from the keyboard. */
  scrollable?: boolean
}

export function Dialog({ open, title, onClose, children, footer, scrollable = false }: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null)
  const titleId = useId()
  useEffect(() => {
    const dialog = ref.current
    if (!dialog) return
    if (open && !dialog.open) {
      const opener = document.activeElement as HTMLElement | null
      if (typeof dialog.showModal === 'function') dialog.showModal()
      else dialog.setAttribute('open', '')
      return () => opener?.focus?.()
    }
    if (!open && dialog.open) dialog.close()
    return undefined
  }, [open])
  return (
    <dialog
      ref={ref}
      aria-labelledby={titleId}
      onClose={onClose}
      onCancel={(event) => {
        event.preventDefault()
        onClose()
      }}
      className="m-auto w-[min(40rem,calc(100vw-2rem))] rounded-lg p-0 shadow-xl"
    >
      {open && (
        <div className="flex flex-col">
          <div className="flex items-center justify-between border-b border-slate-200 px-4 py-3">
            <h2 id={titleId} className="text-base font-semibold">
              {title}
            </h2>
            <button type="button" onClick={onClose} className="rounded p-1 text-slate-600 hover:bg-slate-100" aria-label="Close">
              ✕
            </button>
          </div>
          <div className="max-h-[70vh] overflow-y-auto px-4 py-3" tabIndex={scrollable ? 0 : undefined}>
          {children}
        </div>
          {footer && <div className="flex justify-end gap-2 border-t border-slate-200 px-4 py-3">{footer}</div>}
        </div>
      )}
    </dialog>
  )
}
