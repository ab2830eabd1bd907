import { ApiError, errorFromResponse, messageOf } from './api-error'

describe('errorFromResponse', () => {
  it('keeps the envelope message, code and field details', () => {
    const error = errorFromResponse(422, {
      data: null,
      error: { code: 'validation_failed', message: 'The request is not valid: check body.to.', details: [{ field: 'body.to.0', message: 'not an address' }] },
      meta: { request_id: 'r1' },
    })
    expect(error).toBeInstanceOf(ApiError)
    expect(error.status).toBe(422)
    expect(error.message).toBe('The request is not valid: check body.to.')
    expect(error.fieldMessage('to')).toBe('not an address')
    expect(error.fieldMessage('subject')).toBeUndefined()
    expect(error.requestId).toBe('r1')
  })

  it('explains a response without an envelope', () => {
    expect(errorFromResponse(502, '<html>bad gateway</html>').message).toMatch(/502/)
    expect(errorFromResponse(0, new TypeError('fetch failed')).message).toMatch(/could not be reached/)
  })

  it('gives a readable message for anything thrown', () => {
    expect(messageOf(new TypeError('Failed to fetch'))).toMatch(/could not be reached/)
    expect(messageOf('weird')).toBe('Something went wrong. Try again.')
  })
})
