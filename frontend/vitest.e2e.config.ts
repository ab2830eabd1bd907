// End-to-end run: the real backend on the embedded default serving the built app, driven in Debian's Chromium.
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    environment: 'node',
    include: ['e2e/**/*.e2e.ts'],
    globalSetup: ['./e2e/support/global-setup.ts'],
    testTimeout: 180_000,
    hookTimeout: 120_000,
    fileParallelism: false,
    // expect.poll's own default is 1 s: on a busy machine a real round trip (an autocomplete's search, a live
    // event) can take longer, and CI failed on it once. Conditions are waited on with a generous ceiling instead.
    expect: { poll: { timeout: 20_000, interval: 100 } },
    reporters: ['default'],
  },
})
