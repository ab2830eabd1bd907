import { render, screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { ApiError } from '@/lib/api-error'
import { ScheduleDialog, type ScheduleChoice } from './schedule-picker'

function renderDialog(props: { error?: unknown; onSubmit?: (c: ScheduleChoice) => void } = {}) {
  return render(
    <ScheduleDialog open title="Schedule send" submitLabel="Schedule" busy={false} error={props.error ?? null} onSubmit={props.onSubmit ?? (() => {})} onClose={() => {}} />,
  )
}

describe('ScheduleDialog', () => {
  afterEach(() => vi.useRealTimers())

  it('computes quick picks on the calendar of the chosen zone', async () => {
    // Wednesday 25 Nov 2026, 10:00 UTC: already Thursday in Kiritimati (UTC+14).
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(new Date('2026-11-25T10:00:00Z'))
    const user = userEvent.setup()
    renderDialog()
    const zone = screen.getByRole('combobox', { name: 'Time zone' })
    const when = screen.getByLabelText('Date and time')

    await user.selectOptions(zone, 'Asia/Tokyo')
    await user.click(screen.getByRole('button', { name: 'Tomorrow 8:00' }))
    expect(when).toHaveValue('2026-11-26T08:00')
    await user.click(screen.getByRole('button', { name: 'Monday 8:00' }))
    expect(when).toHaveValue('2026-11-30T08:00')

    await user.selectOptions(zone, 'Pacific/Kiritimati')
    await user.click(screen.getByRole('button', { name: 'Tomorrow 8:00' }))
    expect(when).toHaveValue('2026-11-27T08:00')
  })

  it('filters the zones, submits wall time and zone, and asks for a time when none is set', async () => {
    const submitted: ScheduleChoice[] = []
    const user = userEvent.setup()
    renderDialog({ onSubmit: (c) => submitted.push(c) })
    await user.click(screen.getByRole('button', { name: 'Schedule' }))
    expect(screen.getByText('Choose a date and time.')).toBeInTheDocument()
    expect(submitted).toHaveLength(0)

    await user.type(screen.getByRole('searchbox', { name: 'Filter time zones' }), 'new york')
    const options = screen.getAllByRole('option').map((o) => o.getAttribute('value'))
    expect(options).toContain('America/New_York')
    expect(options).not.toContain('Europe/Berlin')
    await user.selectOptions(screen.getByRole('combobox', { name: 'Time zone' }), 'America/New_York')
    await user.type(screen.getByLabelText('Date and time'), '2027-01-05T07:30')
    await user.click(screen.getByRole('button', { name: 'Schedule' }))
    expect(submitted).toEqual([{ sendAt: '2027-01-05T07:30:00', timeZone: 'America/New_York' }])
  })

  it('puts server errors next to their field, others below', () => {
    const zoneError = new ApiError(422, 'validation_failed', "Unknown timezone 'Mars/Base'.", [{ field: 'timezone', issue: 'unknown_timezone' }])
    const { unmount } = renderDialog({ error: zoneError })
    expect(screen.getByRole('combobox', { name: 'Time zone' })).toHaveAccessibleDescription("Unknown timezone 'Mars/Base'.")
    expect(screen.queryByRole('alert')).not.toBeInTheDocument()
    unmount()

    renderDialog({ error: new ApiError(403, 'forbidden', 'This key may not send mail.') })
    expect(screen.getByRole('alert')).toHaveTextContent('This key may not send mail.')
  })
})
