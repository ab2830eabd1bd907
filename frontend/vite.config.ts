/// <reference types="vitest/config" />
// Build, dev server and unit-test configuration for the web app.
import { fileURLToPath, URL } from 'node:url'
import tailwindcss from '@tailwindcss/vite'
import react from '@vitejs/plugin-react'
import { defineConfig } from 'vite'

const backend = process.env.MAILAGENT_DEV_BACKEND ?? 'http://127.0.0.1:8000'

export default defineConfig({
  plugins: [react(), tailwindcss()],
  resolve: { alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) } },
  server: {
    port: 5173,
    host: '127.0.0.1',
    // In development the API runs on its own port; the browser still talks to one origin.
    proxy: { '/api': { target: backend, ws: true, changeOrigin: false } },
  },
  build: {
    sourcemap: false,
    reportCompressedSize: true,
    // The compose screen's chunk (the TipTap editor, ~430 kB raw / ~140 kB gzipped) loads only when composing;
    // the first-load budget is enforced separately by scripts/check-bundle-budget.mjs.
    chunkSizeWarningLimit: 500,
  },
  test: {
    environment: 'jsdom',
    globals: true,
    setupFiles: ['./src/test/setup.ts'],
    include: ['src/**/*.test.{ts,tsx}', 'scripts/**/*.test.mjs'],
    css: false,
    // Hooks run in the order they are declared: the setup file's cleanup (unmount) comes before a test file's own
    // afterEach resets a store, so no unmounted-too-late component sees that update outside act().
    sequence: { hooks: 'list' },
  },
})
