// The password rules, mirrored from the backend's domain/password_policy.py so the form can check as you type.
export const PASSWORD_MIN_LENGTH = 12
export const PASSWORD_MAX_LENGTH = 256

export interface PasswordRule {
  id: 'min_length' | 'max_length' | 'lowercase' | 'uppercase' | 'digit' | 'symbol' | 'not_email'
  label: string
  met: boolean
}

// Python's str.islower/isupper/isdigit/isalnum are Unicode-aware; the \p{…} classes are the closest match.
const LOWER = /\p{Ll}/u
const UPPER = /\p{Lu}/u
const DIGIT = /\p{Nd}/u
const NOT_ALNUM = /[^\p{L}\p{N}]/u

/** Every rule with whether `password` meets it; the e-mail rule is listed only once an e-mail is known. */
export function passwordRules(password: string, email?: string | null): PasswordRule[] {
  const length = [...password].length
  const rules: PasswordRule[] = [
    { id: 'min_length', label: `At least ${PASSWORD_MIN_LENGTH} characters`, met: length >= PASSWORD_MIN_LENGTH },
    { id: 'lowercase', label: 'A lowercase letter', met: LOWER.test(password) },
    { id: 'uppercase', label: 'An uppercase letter', met: UPPER.test(password) },
    { id: 'digit', label: 'A digit', met: DIGIT.test(password) },
    { id: 'symbol', label: 'A symbol such as ! ? # or a space', met: NOT_ALNUM.test(password) },
  ]
  if (length > PASSWORD_MAX_LENGTH) rules.push({ id: 'max_length', label: `At most ${PASSWORD_MAX_LENGTH} characters`, met: false })
  const address = email?.trim()
  if (address && address.includes('@')) {
    const lowered = password.toLowerCase()
    const localPart = (address.split('@', 1)[0] ?? '').toLowerCase()
    const usesEmail = lowered.includes(address.toLowerCase()) || (localPart.length >= 4 && lowered.includes(localPart))
    rules.push({ id: 'not_email', label: 'Does not contain your e-mail address', met: !usesEmail })
  }
  return rules
}

export function passwordAcceptable(password: string, email?: string | null): boolean {
  return passwordRules(password, email).every((rule) => rule.met)
}
