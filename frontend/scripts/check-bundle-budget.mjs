// Prints every built chunk's size and fails when the JavaScript a first visit downloads exceeds the budget.
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'

export const INITIAL_JS_BUDGET_GZIP = 300 * 1024

/** The scripts index.html loads up front: the entry module and everything it preloads. */
export function initialScripts(indexHtml) {
  const found = new Set()
  for (const match of indexHtml.matchAll(/<script[^>]+type="module"[^>]+src="([^"]+)"/g)) found.add(match[1])
  for (const match of indexHtml.matchAll(/<link[^>]+rel="modulepreload"[^>]+href="([^"]+)"/g)) found.add(match[1])
  return [...found]
}

export function gzipSize(buffer) {
  return gzipSync(buffer, { level: 9 }).length
}

function kb(bytes) {
  return `${(bytes / 1024).toFixed(1)} kB`
}

function main() {
  const dist = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'dist')
  let indexHtml
  try {
    indexHtml = readFileSync(join(dist, 'index.html'), 'utf8')
  } catch {
    console.error('No build found in frontend/dist: run `npm run build` first.')
    process.exit(1)
  }
  const assets = readdirSync(join(dist, 'assets')).filter((f) => f.endsWith('.js') || f.endsWith('.css'))
  const rows = assets
    .map((file) => {
      const buffer = readFileSync(join(dist, 'assets', file))
      return { file, raw: statSync(join(dist, 'assets', file)).size, gzip: gzipSize(buffer) }
    })
    .sort((a, b) => b.gzip - a.gzip)
  console.log('chunk'.padEnd(48), 'raw'.padStart(10), 'gzip'.padStart(10))
  for (const row of rows) console.log(row.file.padEnd(48), kb(row.raw).padStart(10), kb(row.gzip).padStart(10))
  const initial = initialScripts(indexHtml)
  const initialBytes = initial.reduce((sum, src) => sum + gzipSize(readFileSync(join(dist, src.replace(/^\//, '')))), 0)
  console.log(`\ninitial JavaScript (${initial.length} files): ${kb(initialBytes)} gzipped; budget ${kb(INITIAL_JS_BUDGET_GZIP)}`)
  if (initial.length === 0) {
    console.error('index.html loads no module script: the build looks broken.')
    process.exit(1)
  }
  if (initialBytes > INITIAL_JS_BUDGET_GZIP) {
    console.error('Over budget: split a route or a heavy dependency out of the first load (React.lazy / route lazy).')
    process.exit(1)
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main()
