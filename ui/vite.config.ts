import { defineConfig } from 'vitest/config';

// The Tauri app (src-tauri) embeds `dist/` at compile time: see `build.frontendDist`
// in src-tauri/tauri.conf.json.
export default defineConfig({
  // Relative asset URLs: the page is served from Tauri's custom protocol.
  base: './',
  clearScreen: false,
  server: { port: 1420, strictPort: true },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // WebKitGTK 2.40+ (Debian bookworm), WebView2, and Safari 16+ on macOS.
    target: ['es2022', 'safari16'],
    sourcemap: false,
  },
  test: {
    environment: 'happy-dom',
    include: ['src/**/*.test.ts'],
  },
});
