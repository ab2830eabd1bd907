import { describe, expect, it } from 'vitest'
import { initialScripts, gzipSize, INITIAL_JS_BUDGET_GZIP } from './check-bundle-budget.mjs'

describe('bundle budget', () => {
  it('counts the entry module and its preloads, not lazy chunks', () => {
    const html = `<script type="module" crossorigin src="/assets/index-a1.js"></script>
      <link rel="modulepreload" crossorigin href="/assets/vendor-b2.js">
      <link rel="stylesheet" href="/assets/index-c3.css">`
    expect(initialScripts(html)).toEqual(['/assets/index-a1.js', '/assets/vendor-b2.js'])
  })

  it('measures gzip size, and the budget is 300 kB', () => {
    const repetitive = Buffer.from('a'.repeat(100_000))
    expect(gzipSize(repetitive)).toBeLessThan(1_000)
    expect(INITIAL_JS_BUDGET_GZIP).toBe(300 * 1024)
  })
})
