// Node's require() for the two npm packages the daemon loads at run time, koffi and pino, both
// CommonJS. The one place that knows how this module system reaches them; loads nothing itself.

// In the one-file build (scripts/bundle.ts) this is CommonJS and has require() of its own. The ES
// module build, which the tests import, makes one; node:module is loaded only then (it costs the
// daemon's start-up a few milliseconds, issue 8).
export const requirePackage: NodeJS.Require =
  typeof require === 'function' ? require : process.getBuiltinModule('node:module').createRequire(import.meta.url);
