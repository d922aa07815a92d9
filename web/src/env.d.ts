/// <reference types="vite/client" />

declare module '*.vue' {
  import type { DefineComponent } from 'vue'
  const component: DefineComponent<object, object, any>
  export default component
}

declare module 'swagger-ui-dist/swagger-ui-es-bundle.js' {
  const SwaggerUIBundle: ((opts: Record<string, unknown>) => unknown) & {
    presets: { apis: unknown }
    plugins: Record<string, unknown>
  }
  export default SwaggerUIBundle
}

// hls.js ships no declarations for its light build (no subtitles, alternate audio or DRM); its
// API is the full build's.
declare module 'hls.js/light' {
  export * from 'hls.js'
  export { default } from 'hls.js'
}
