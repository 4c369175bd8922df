// Runs a Node process (and every process it starts) with the wall clock moved ahead by MW_CLOCK_AHEAD_DAYS
// days, so the test suite proves it does not depend on the day it runs: `npm run test:unit:ahead` preloads this
// file with `--import` through NODE_OPTIONS, which vitest's workers and every spawned proxy inherit.
//
// Only the wall clock moves (Date.now, `new Date()`, `Date()`); monotonic time (performance.now, timers) is
// left alone, as on a machine whose calendar simply says a later day. Dates built from explicit parts are exact.
// Plain JavaScript on purpose: it is loaded before any TypeScript loader.

const days = Number(process.env.MW_CLOCK_AHEAD_DAYS ?? '0');

if (Number.isFinite(days) && days !== 0) {
  const offsetMs = Math.round(days * 86_400_000);
  const RealDate = globalThis.Date;

  /** @type {DateConstructor} */
  const ShiftedDate = new Proxy(RealDate, {
    // `Date()` called as a function returns the current time as text.
    apply() {
      return new RealDate(RealDate.now() + offsetMs).toString();
    },
    // `new Date()` is now-plus-offset; `new Date(x)` and `new Date(y, m, …)` are exactly what they say.
    construct(target, args, newTarget) {
      const parts = args.length === 0 ? [RealDate.now() + offsetMs] : args;
      return Reflect.construct(target, parts, newTarget === ShiftedDate ? target : newTarget);
    },
    get(target, key, receiver) {
      if (key === 'now') return () => RealDate.now() + offsetMs;
      return Reflect.get(target, key, receiver);
    },
  });

  globalThis.Date = ShiftedDate;
}
