// Builds the map viewer into Django's static files with fixed names, so templates can
// refer to webmap/dist/main.js and main.css without a manifest. Everything (OpenLayers
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
      input: fileURLToPath(new URL('src/main.js', import.meta.url)),
      output: {
        entryFileNames: 'main.js',
        chunkFileNames: '[name].js',
        assetFileNames: (asset) => {
          const names = asset.names ?? [asset.name ?? ''];
          return names.some((n) => n.endsWith('.css')) ? 'main.css' : '[name][extname]';
        },
      },
    },
  },
});
