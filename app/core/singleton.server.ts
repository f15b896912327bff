/**
 * One instance per process, even when the same module is loaded twice: once by
 * Node for the HTTP server and worker, once inside Vite's SSR graph or the Remix
 * build. Without this the process would open two database pools.
 */
export function singleton<T>(name: string, create: () => T): T {
  const store = globalThis as unknown as { __makerfundSingletons?: Map<string, unknown> };
  store.__makerfundSingletons ??= new Map();
  if (!store.__makerfundSingletons.has(name)) store.__makerfundSingletons.set(name, create());
  return store.__makerfundSingletons.get(name) as T;
}

export function forgetSingleton(name: string): void {
  const store = globalThis as unknown as { __makerfundSingletons?: Map<string, unknown> };
  store.__makerfundSingletons?.delete(name);
}
