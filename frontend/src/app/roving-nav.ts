// The sidebar's links as one Tab stop (WAI-ARIA "roving tabindex"): Tab reaches the current mailbox or section and
// moves on to the screen; ↑/↓ (Home/End) move between the links. Without it a keyboard user pressed Tab 22 times
// before the search box (issue 17, item 10). Controls that are not links (the mailbox switcher, New label) and links
// marked `data-own-stop` (Compose) keep their own stops.
import { useEffect, type KeyboardEvent, type RefObject } from 'react'

const LINKS = 'a[href]:not([data-own-stop])'

function links(root: HTMLElement): HTMLAnchorElement[] {
  return Array.from(root.querySelectorAll<HTMLAnchorElement>(LINKS)).filter((a) => !a.closest('[hidden]'))
}

/** Make `stop` (or the current page's link, or the first) the one link Tab reaches. */
export function settleTabStop(root: HTMLElement, stop?: HTMLElement | null): void {
  const all = links(root)
  const chosen =
    (stop && all.includes(stop as HTMLAnchorElement) ? stop : null) ??
    all.find((a) => a === document.activeElement) ??
    all.find((a) => a.getAttribute('aria-current') === 'page') ??
    all[0]
  for (const a of all) a.tabIndex = a === chosen ? 0 : -1
}

export function useRovingNav(ref: RefObject<HTMLElement | null>): (event: KeyboardEvent<HTMLElement>) => void {
  useEffect(() => {
    const root = ref.current
    if (!root) return undefined
    settleTabStop(root)
    // Labels load later and the current page changes: keep exactly one stop.
    const observer = new MutationObserver(() => settleTabStop(root))
    observer.observe(root, { childList: true, subtree: true, attributes: true, attributeFilter: ['aria-current', 'href'] })
    const onFocusIn = (event: FocusEvent) => {
      if (event.target instanceof HTMLAnchorElement && event.target.matches(LINKS)) settleTabStop(root, event.target)
    }
    root.addEventListener('focusin', onFocusIn)
    return () => {
      observer.disconnect()
      root.removeEventListener('focusin', onFocusIn)
    }
  }, [ref])

  return (event) => {
    const root = ref.current
    const target = event.target
    if (!root || !(target instanceof HTMLAnchorElement) || !target.matches(LINKS)) return
    const all = links(root)
    const index = all.indexOf(target)
    const next =
      event.key === 'ArrowDown' ? all[Math.min(all.length - 1, index + 1)]
      : event.key === 'ArrowUp' ? all[Math.max(0, index - 1)]
      : event.key === 'Home' ? all[0]
      : event.key === 'End' ? all.at(-1)
      : undefined
    if (!next) return
    event.preventDefault()
    settleTabStop(root, next)
    next.focus()
  }
}
