import { describe, expect, it } from 'vitest'
import { addDays, dayKey, minuteOfDay, mondayOf, wallToIso } from './zoned-time'

describe('times in the calendar zone', () => {
  it('reads a wall time with the offset of that day, across daylight saving', () => {
    expect(wallToIso('2026-03-24T15:00', 'Europe/Lisbon')).toBe('2026-03-24T15:00:00+00:00')
    expect(wallToIso('2026-03-31T15:00', 'Europe/Lisbon')).toBe('2026-03-31T15:00:00+01:00')
    expect(wallToIso('2026-12-10T09:30', 'America/New_York')).toBe('2026-12-10T09:30:00-05:00')
    expect(wallToIso('2026-12-10T09:30', 'Asia/Kolkata')).toBe('2026-12-10T09:30:00+05:30')
  })

  it('puts an instant on the day and minute of the calendar zone, not the browser', () => {
    expect(dayKey('2026-12-10T23:30:00Z', 'Asia/Tokyo')).toBe('2026-12-11')
    expect(dayKey('2026-12-10T23:30:00Z', 'America/New_York')).toBe('2026-12-10')
    expect(minuteOfDay('2026-07-01T08:00:00Z', 'Europe/Lisbon')).toBe(9 * 60)
  })

  it('finds the Monday of a week and walks days', () => {
    expect(mondayOf('2026-12-10')).toBe('2026-12-07')
    expect(mondayOf('2026-12-07')).toBe('2026-12-07')
    expect(mondayOf('2026-12-13')).toBe('2026-12-07')
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01')
  })
})
