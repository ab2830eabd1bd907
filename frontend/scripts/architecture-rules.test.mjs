// @vitest-environment node
// The architecture rule is real: eslint rejects one feature importing another, and accepts shared code.
import { ESLint } from 'eslint'
import { describe, expect, it } from 'vitest'

const eslint = new ESLint({ cwd: new URL('..', import.meta.url).pathname })

async function ruleMessages(code, filePath) {
  const [result] = await eslint.lintText(code, { filePath })
  return result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message)
}

describe('no cross-feature imports', () => {
  it('rejects a feature importing another feature by alias', async () => {
    const messages = await ruleMessages("import { MailSidebar } from '@/features/mail/components/mail-sidebar'\nexport const x = MailSidebar\n", 'src/features/agent/components/probe.tsx')
    expect(messages.join()).toMatch(/may not import another feature/)
  })

  it('rejects climbing out of a feature with a relative path', async () => {
    const messages = await ruleMessages("import { x } from '../../../features/mail/types/labels'\nexport const y = x\n", 'src/features/agent/components/probe.tsx')
    expect(messages.join()).toMatch(/Do not climb out of a feature/)
  })

  it('rejects a feature importing the app shell', async () => {
    const messages = await ruleMessages("import { router } from '@/app/router'\nexport const r = router\n", 'src/features/mail/components/probe.tsx')
    expect(messages.join()).toMatch(/Features do not import the app shell/)
  })

  it('accepts a feature importing itself and shared code', async () => {
    const messages = await ruleMessages(
      "import { Button } from '@/components/button'\nimport { api } from '@/api/client'\nimport { x } from '@/features/mail/types/labels'\nexport const y = [Button, api, x]\n",
      'src/features/mail/components/probe.tsx',
    )
    expect(messages).toEqual([])
  })
})
