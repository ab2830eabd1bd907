// Times in the calendar's zone (not the browser's): day keys, wall times for inputs, and wall time -> instant.

/** The calendar day (YYYY-MM-DD) an instant falls on in `timeZone`. */
export function dayKey(utcIso: string | Date, timeZone: string): string {
  const date = typeof utcIso === 'string' ? new Date(utcIso) : utcIso
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(date)
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? ''
  return `${get('year')}-${get('month')}-${get('day')}`
}

/** Minutes since local midnight in `timeZone` (for placing an event in a day column). */
export function minuteOfDay(utcIso: string | Date, timeZone: string): number {
  const date = typeof utcIso === 'string' ? new Date(utcIso) : utcIso
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(date)
  const hour = Number(parts.find((p) => p.type === 'hour')?.value ?? 0)
  const minute = Number(parts.find((p) => p.type === 'minute')?.value ?? 0)
  return hour * 60 + minute
}

/** The offset of `timeZone` at an instant, in minutes east of UTC. */
export function offsetMinutes(at: Date, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(at)
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0)
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'))
  return Math.round((asUtc - Math.floor(at.getTime() / 1000) * 1000) / 60_000)
}

function pad(n: number): string {
  return String(Math.abs(n)).padStart(2, '0')
}

/** A wall time typed for `timeZone` (2026-12-10T15:00) as ISO 8601 with that zone's offset on that day
 * (2026-12-10T15:00:00+00:00); a time in a DST gap moves forward like the server does. */
export function wallToIso(wall: string, timeZone: string): string {
  const [datePart = '', timePart = '00:00'] = wall.split('T')
  const [y, m, d] = datePart.split('-').map(Number)
  const [hh, mm] = timePart.split(':').map(Number)
  const guess = Date.UTC(y ?? 1970, (m ?? 1) - 1, d ?? 1, hh ?? 0, mm ?? 0)
  let offset = offsetMinutes(new Date(guess), timeZone)
  offset = offsetMinutes(new Date(guess - offset * 60_000), timeZone)
  const sign = offset < 0 ? '-' : '+'
  return `${datePart}T${pad(hh ?? 0)}:${pad(mm ?? 0)}:00${sign}${pad(Math.trunc(offset / 60))}:${pad(offset % 60)}`
}

/** The datetime-local value (2026-12-10T15:00) of a local ISO time from the server (2026-12-10T15:00:00+00:00). */
export function wallOf(localIso: string): string {
  return localIso.slice(0, 16)
}

/** The Monday (YYYY-MM-DD) of the week a day key is in. */
export function mondayOf(day: string): string {
  const date = new Date(`${day}T12:00:00Z`)
  const back = (date.getUTCDay() + 6) % 7
  date.setUTCDate(date.getUTCDate() - back)
  return date.toISOString().slice(0, 10)
}

export function addDays(day: string, n: number): string {
  const date = new Date(`${day}T12:00:00Z`)
  date.setUTCDate(date.getUTCDate() + n)
  return date.toISOString().slice(0, 10)
}

export function formatTime(utcIso: string, timeZone: string): string {
  return new Date(utcIso).toLocaleTimeString(undefined, { timeZone, hour: '2-digit', minute: '2-digit' })
}

export function formatDay(day: string): string {
  return new Date(`${day}T12:00:00Z`).toLocaleDateString(undefined, { timeZone: 'UTC', weekday: 'long', day: 'numeric', month: 'long' })
}
