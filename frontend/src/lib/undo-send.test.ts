import { confirmHeldSend, settleHeldSend, type HeldOutcome } from './undo-send'

const toastMock = vi.hoisted(() => {
  const fn = vi.fn() as ReturnType<typeof vi.fn> & Record<'success' | 'error' | 'loading' | 'dismiss', ReturnType<typeof vi.fn>>
  fn.success = vi.fn()
  fn.error = vi.fn()
  fn.loading = vi.fn()
  fn.dismiss = vi.fn()
  return fn
})
vi.mock('sonner', () => ({ toast: toastMock }))

/** A server whose answers are given one by one; null while the send is still to go. */
function server(...answers: (HeldOutcome | null)[]) {
  const asked: number[] = []
  const check = vi.fn(async () => {
    asked.push(Date.now())
    return answers.length > 1 ? (answers.shift() ?? null) : (answers[0] ?? null)
  })
  return { check, asked }
}

describe('the notice of a held send after its undo window', () => {
  beforeEach(() => {
    vi.clearAllMocks()
    vi.useFakeTimers()
  })
  afterEach(() => vi.useRealTimers())

  it('says "Sending…" until the live feed says it went out, then "Message sent" in the same notice', async () => {
    const { check } = server(null)
    const onSent = vi.fn()
    const outcome = confirmHeldSend('s1', 'undo-1', { check, onSent })
    expect(toastMock.loading).toHaveBeenCalledWith('Sending…', expect.objectContaining({ id: 'undo-1', action: undefined }))
    expect(toastMock.success).not.toHaveBeenCalled()
    await vi.advanceTimersByTimeAsync(2_500) // the server is asked once: not yet
    expect(check).toHaveBeenCalledTimes(1)
    expect(toastMock.success).not.toHaveBeenCalled()
    expect(onSent).not.toHaveBeenCalled()
    expect(settleHeldSend('s1', { status: 'sent' })).toBe(true)
    await expect(outcome).resolves.toEqual({ status: 'sent' })
    expect(toastMock.success).toHaveBeenCalledWith('Message sent', expect.objectContaining({ id: 'undo-1' }))
    expect(onSent).toHaveBeenCalledTimes(1)
    // Settled once: a repeated event (delivery is at least once) finds nobody waiting, and the server is not asked again.
    expect(settleHeldSend('s1', { status: 'sent' })).toBe(false)
    await vi.advanceTimersByTimeAsync(10_000)
    expect(check).toHaveBeenCalledTimes(1)
    expect(toastMock.success).toHaveBeenCalledTimes(1)
  })

  it('asks the server while the feed is quiet, and says sent only once the server does', async () => {
    const { check } = server(null, null, { status: 'sent' })
    const outcome = confirmHeldSend('s2', 'undo-2', { check, pollMs: 1_000 })
    await vi.advanceTimersByTimeAsync(2_500)
    expect(check).toHaveBeenCalledTimes(2)
    expect(toastMock.success).not.toHaveBeenCalled()
    await vi.advanceTimersByTimeAsync(1_000)
    await expect(outcome).resolves.toEqual({ status: 'sent' })
    expect(toastMock.success).toHaveBeenCalledWith('Message sent', expect.objectContaining({ id: 'undo-2' }))
  })

  it('keeps asking when the server cannot be reached for a moment', async () => {
    let calls = 0
    const check = vi.fn(async (): Promise<HeldOutcome | null> => {
      calls += 1
      if (calls === 1) throw new TypeError('Failed to fetch')
      return { status: 'sent' }
    })
    const outcome = confirmHeldSend('s3', 'undo-3', { check, pollMs: 1_000 })
    await vi.advanceTimersByTimeAsync(2_100)
    await expect(outcome).resolves.toEqual({ status: 'sent' })
    expect(check).toHaveBeenCalledTimes(2)
  })

  it('says why it could not be sent, and does not call it sent', async () => {
    const onSent = vi.fn()
    const outcome = confirmHeldSend('s4', 'undo-4', { check: server(null).check, onSent })
    settleHeldSend('s4', { status: 'failed', error: 'The recipient’s server refused it.' })
    await expect(outcome).resolves.toEqual({ status: 'failed', error: 'The recipient’s server refused it.' })
    expect(toastMock.error).toHaveBeenCalledWith(
      'Your message could not be sent',
      expect.objectContaining({ id: 'undo-4', description: 'The recipient’s server refused it.' }),
    )
    expect(toastMock.success).not.toHaveBeenCalled()
    expect(onSent).not.toHaveBeenCalled()
  })

  it('stops waiting after a while and says it is still on its way', async () => {
    const { check } = server(null)
    const outcome = confirmHeldSend('s5', 'undo-5', { check, pollMs: 1_000, giveUpMs: 5_000 })
    await vi.advanceTimersByTimeAsync(6_500)
    await expect(outcome).resolves.toBeNull()
    expect(toastMock).toHaveBeenCalledWith('Still sending', expect.objectContaining({ id: 'undo-5' }))
    expect(toastMock.success).not.toHaveBeenCalled()
    const asked = check.mock.calls.length
    await vi.advanceTimersByTimeAsync(10_000)
    expect(check.mock.calls.length).toBe(asked)
  })

  it('finds nobody waiting for a send it does not know', () => {
    expect(settleHeldSend('unknown', { status: 'sent' })).toBe(false)
    expect(settleHeldSend(undefined, { status: 'sent' })).toBe(false)
  })
})
