/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// In development the app talks to a running `odg serve` (ODG_URL, default
// http://127.0.0.1:8080) through this proxy; in production ODG serves `dist/`.
const target = process.env.ODG_URL ?? 'http://127.0.0.1:8080';
const proxy = {
  '/graphql': { target, ws: true },
  '/tiles': { target },
  '/healthz': { target },
};

export default defineConfig({
  plugins: [react()],
  server: { proxy },
  preview: { proxy },
  build: { sourcemap: false, chunkSizeWarningLimit: 1500 },
  test: {
    environment: 'jsdom',
    globals: true,
    setupFiles: ['src/test/setup.ts'],
    include: ['src/**/*.test.{ts,tsx}'],
  },
});
