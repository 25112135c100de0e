// oidc-provider ships no type declarations; the tests use a handful of its calls.
declare module 'oidc-provider' {
  // biome-ignore lint/suspicious/noExplicitAny: untyped third-party test dependency
  const Provider: any
  export default Provider
}
