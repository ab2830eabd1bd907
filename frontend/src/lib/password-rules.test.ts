import { passwordAcceptable, passwordRules } from './password-rules'

const met = (password: string, email?: string) =>
  Object.fromEntries(passwordRules(password, email).map((rule) => [rule.id, rule.met]))

describe('passwordRules (mirrors domain/password_policy.py)', () => {
  it('reports each rule separately', () => {
    expect(met('')).toEqual({ min_length: false, lowercase: false, uppercase: false, digit: false, symbol: false })
    expect(met('abc')).toMatchObject({ lowercase: true, uppercase: false, digit: false, symbol: false })
    expect(met('ABC1')).toMatchObject({ lowercase: false, uppercase: true, digit: true })
    expect(met('a b')).toMatchObject({ symbol: true })
  })

  it('needs 12 characters', () => {
    expect(met('Aa1!Aa1!Aa1')).toMatchObject({ min_length: false })
    expect(met('Aa1!Aa1!Aa1!')).toMatchObject({ min_length: true })
  })

  it('accepts a password that meets every rule and rejects one that is too long', () => {
    expect(passwordAcceptable('Correct horse 9')).toBe(true)
    expect(passwordAcceptable('correct horse 9')).toBe(false)
    expect(passwordAcceptable('Aa1!' + 'x'.repeat(253))).toBe(false)
  })

  it('rejects the e-mail address or its local part (4+ characters) inside the password', () => {
    expect(met('Hello alice 99!', 'alice@example.com')).toMatchObject({ not_email: false })
    expect(met('Hello ALICE@example.com 9', 'alice@example.com')).toMatchObject({ not_email: false })
    // A short local part is allowed, as in the backend.
    expect(met('Hello bob 99 !', 'bob@example.com')).toMatchObject({ not_email: true })
    expect(passwordRules('x').some((rule) => rule.id === 'not_email')).toBe(false)
  })
})
