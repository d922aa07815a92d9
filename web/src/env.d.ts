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
