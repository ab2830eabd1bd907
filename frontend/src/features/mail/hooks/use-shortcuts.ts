// Single-key shortcuts (Gmail style) on the whole page, ignored while the person is typing in a field.
import { useEffect, useRef } from 'react'

export type ShortcutMap = Record<string, (event: KeyboardEvent) => void>

/** True when a key press belongs to a text field (or an open dialog/menu) rather than to the page. */
export function isTypingTarget(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false
  if (target.isContentEditable) return true
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true
  if (target instanceof HTMLInputElement) return !['checkbox', 'radio', 'button', 'submit', 'reset'].includes(target.type)
  return target.closest('dialog[open], [role="menu"]') !== null
}

export function useShortcuts(shortcuts: ShortcutMap, enabled = true): void {
  // The latest handlers without re-subscribing on every render.
  const latest = useRef(shortcuts)
  useEffect(() => {
    latest.current = shortcuts
  })
  useEffect(() => {
    if (!enabled) return undefined
    const onKey = (event: KeyboardEvent) => {
      if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return
      if (isTypingTarget(event.target)) return
      // Enter on a button or link is that control's own action (a row's link opens itself natively).
      if (event.key === 'Enter' && event.target instanceof HTMLElement && event.target.closest('a, button, summary, [role="button"]')) return
      const handler = latest.current[event.key]
      if (!handler) return
      event.preventDefault()
      handler(event)
    }
    document.addEventListener('keydown', onKey)
    return () => document.removeEventListener('keydown', onKey)
  }, [enabled])
}
