import { defineConfig, type Plugin, type Connect } from 'vite'
import vue from '@vitejs/plugin-vue'
import { fileURLToPath, URL } from 'node:url'

const BACKEND = process.env.SELLSTREAM_BACKEND || 'http://127.0.0.1:8080'

/**
 * The backend serves three HTML entries with history fallback:
 *   /console, /console/*  -> console.html
 *   /api-docs             -> api-docs.html
 *   anything else         -> index.html (viewer)
 * This plugin mirrors that in the dev and preview servers.
 */
function multiPageFallback(): Plugin {
  const rewrite: Connect.NextHandleFunction = (req, _res, next) => {
    const url = req.url || '/'
    const path = url.split('?')[0]
    const isAsset = /\.[a-z0-9]+$/i.test(path) || path.startsWith('/@') || path.startsWith('/src/') || path.startsWith('/node_modules/')
    if (!isAsset && !path.startsWith('/api/') && !path.startsWith('/ws')) {
      if (path === '/console' || path.startsWith('/console/')) req.url = '/console.html'
      else if (path === '/api-docs' || path.startsWith('/api-docs/')) req.url = '/api-docs.html'
    }
    next()
  }
  return {
    name: 'sellstream-multi-page-fallback',
    configureServer(server) {
      server.middlewares.use(rewrite)
    },
    configurePreviewServer(server) {
      server.middlewares.use(rewrite)
    },
  }
}

export default defineConfig({
  plugins: [vue(), multiPageFallback()],
  resolve: {
    alias: {
      '@shared': fileURLToPath(new URL('./src/shared', import.meta.url)),
    },
  },
  define: {
    __VUE_I18N_FULL_INSTALL__: true,
    __VUE_I18N_LEGACY_API__: false,
    __INTLIFY_PROD_DEVTOOLS__: false,
    __VUE_PROD_DEVTOOLS__: false,
    __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: false,
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 2000,
    rollupOptions: {
      input: {
        index: fileURLToPath(new URL('./index.html', import.meta.url)),
        console: fileURLToPath(new URL('./console.html', import.meta.url)),
        'api-docs': fileURLToPath(new URL('./api-docs.html', import.meta.url)),
      },
    },
  },
  server: {
    host: '127.0.0.1',
    port: 5173,
    proxy: {
      '/api/': { target: BACKEND, changeOrigin: false },
      '/healthz': { target: BACKEND, changeOrigin: false },
      '/ws': { target: BACKEND, ws: true, changeOrigin: false },
    },
  },
  preview: {
    proxy: {
      '/api/': { target: BACKEND },
      '/ws': { target: BACKEND, ws: true },
    },
  },
})
