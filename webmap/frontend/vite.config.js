// Builds the map viewer into Django's static files with fixed names, so templates can
// refer to webmap/dist/main.js, review.js, main.css and review.css without a manifest. Everything (OpenLayers
// and CesiumJS included) is bundled: the server must work offline, no CDN.
import { cpSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const outDir = fileURLToPath(new URL('../static/webmap/dist', import.meta.url));

// CesiumJS loads its web workers, textures, CSS and WebAssembly at run time from
// CESIUM_BASE_URL (set by src/view3d/toggle.js from the page configuration): copy them
// next to the bundle, into dist/cesium/.
const CESIUM_ASSET_DIRS = ['Workers', 'Assets', 'Widgets', 'ThirdParty'];

function copyCesiumAssets() {
  const require = createRequire(import.meta.url);
  const cesiumBuild = join(dirname(require.resolve('cesium/package.json')), 'Build', 'Cesium');
  return {
    name: 'copy-cesium-assets',
    apply: 'build',
    writeBundle() {
      for (const dir of CESIUM_ASSET_DIRS) {
        const source = join(cesiumBuild, dir);
        if (!existsSync(source)) throw new Error(`CesiumJS assets missing: ${source}`);
        cpSync(source, join(outDir, 'cesium', dir), { recursive: true });
      }
    },
  };
}

export default defineConfig({
  base: './',
  publicDir: false,
  plugins: [copyCesiumAssets()],
  build: {
    outDir,
    emptyOutDir: true,
    manifest: false,
    sourcemap: false,
    target: 'es2020',
    // CesiumJS goes into the lazy chunk of the 3D view (view3d.js), loaded when it first opens.
    chunkSizeWarningLimit: 6144,
    rollupOptions: {
      // The map viewer and the review page; shared code (OpenLayers) goes into chunks.
      input: {
        main: fileURLToPath(new URL('src/main.js', import.meta.url)),
        review: fileURLToPath(new URL('src/review.js', import.meta.url)),
        cad: fileURLToPath(new URL('src/cad.js', import.meta.url)),
        georef: fileURLToPath(new URL('src/georef.js', import.meta.url)), // rasters (issue 7)
        // the raster upload page: follows the conversion job
        rasters_upload: fileURLToPath(new URL('src/rasters_upload.js', import.meta.url)),
        // server-rendered pages: upload form, project page (layer removal)
        pages: fileURLToPath(new URL('src/pages.js', import.meta.url)),
      },
      output: {
        entryFileNames: '[name].js',
        chunkFileNames: '[name].js',
        assetFileNames: '[name][extname]',
      },
    },
  },
});
