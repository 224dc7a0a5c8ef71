// Builds the map viewer into Django's static files with fixed names, so templates can
// refer to webmap/dist/main.js, review.js, main.css and review.css without a manifest. Everything (OpenLayers
// included) is bundled: the server must work offline, no CDN.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const outDir = fileURLToPath(new URL('../static/webmap/dist', import.meta.url));

export default defineConfig({
  base: './',
  publicDir: false,
  build: {
    outDir,
    emptyOutDir: true,
    manifest: false,
    sourcemap: false,
    target: 'es2020',
    chunkSizeWarningLimit: 1024,
    rollupOptions: {
      // The map viewer and the review page; shared code (OpenLayers) goes into chunks.
      input: {
        main: fileURLToPath(new URL('src/main.js', import.meta.url)),
        review: fileURLToPath(new URL('src/review.js', import.meta.url)),
        cad: fileURLToPath(new URL('src/cad.js', import.meta.url)),
      },
      output: {
        entryFileNames: '[name].js',
        chunkFileNames: '[name].js',
        assetFileNames: '[name][extname]',
      },
    },
  },
});
