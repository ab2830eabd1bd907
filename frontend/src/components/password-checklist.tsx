// The password rules as a checklist that updates while the person types.
import { passwordRules } from '@/lib/password-rules'

export function PasswordChecklist({ id, password, email }: { id: string; password: string; email?: string }) {
  const rules = passwordRules(password, email)
  return (
    <ul id={id} aria-label="Password rules" className="flex flex-col gap-0.5 text-xs">
      {rules.map((rule) => (
        <li key={rule.id} className={rule.met ? 'text-emerald-800' : 'text-slate-700'} data-met={rule.met}>
          <span aria-hidden="true" className="mr-1 inline-block w-3">
            {rule.met ? '✓' : '○'}
          </span>
          {rule.label}
          <span className="sr-only">{rule.met ? ' (done)' : ' (not yet)'}</span>
        </li>
      ))}
    </ul>
  )
}
