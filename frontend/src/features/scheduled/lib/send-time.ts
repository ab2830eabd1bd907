// A scheduled send time in words: in the zone it was scheduled in, and in the viewer's own zone.

const STYLE: Intl.DateTimeFormatOptions = { dateStyle: 'medium', timeStyle: 'short' }

/** The moment in `timeZone`; falls back to the server's local ISO text when the zone is an offset Intl rejects. */
export function inZone(utcIso: string, timeZone: string, localIso: string): string {
  try {
    return new Date(utcIso).toLocaleString(undefined, { ...STYLE, timeZone })
  } catch {
    return localIso.replace('T', ' ').slice(0, 16)
  }
}

export function inViewerZone(utcIso: string): string {
  return new Date(utcIso).toLocaleString(undefined, STYLE)
}

export function viewerTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone
}

/** The datetime-local value (2026-12-24T09:00) of the server's local ISO time (2026-12-24T09:00:00+01:00). */
export function wallTimeOf(localIso: string): string {
  return localIso.slice(0, 16)
}
