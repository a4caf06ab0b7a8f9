/**
 * Wraps an e2e describe block: where the suite cannot run (not root, not Debian) it registers one
 * passing test that prints loudly why nothing was tested — never a skipped test — and otherwise
 * installs missing Debian packages, checks the CLI is built, and cleans up after every test.
 */
import { stopAllDaemons } from './procs';
import { removeWorkDirs } from './workdir';
import { assertCliBuilt, e2eSupport, ensureDebianPackages, warnSkipped } from './support';

export interface SuiteOptions {
  /** Debian packages the suite cannot run without. */
  packages: string[];
  /** Packages that enable an extra variant; their absence is reported, not fatal. */
  optionalPackages?: string[];
}

export interface SuiteState {
  /** Optional packages that could not be installed. */
  missingOptional: string[];
}

export function describeE2E(name: string, opts: SuiteOptions, body: (state: SuiteState) => void): void {
  const support = e2eSupport();
  if (!support.ok) {
    describe(name, () => {
      test(`not run here: ${support.reason}`, () => {
        warnSkipped(name, support.reason);
      });
    });
    return;
  }
  const state: SuiteState = { missingOptional: [] };
  describe(name, () => {
    beforeAll(async () => {
      assertCliBuilt();
      const missing = await ensureDebianPackages(opts.packages);
      if (missing.length > 0) throw new Error(`${name}: required Debian packages could not be installed: ${missing.join(' ')}`);
      state.missingOptional = await ensureDebianPackages(opts.optionalPackages ?? []);
    }, 20 * 60_000);
    afterEach(async () => {
      await stopAllDaemons();
      removeWorkDirs();
    }, 60_000);
    afterAll(async () => {
      await stopAllDaemons();
      removeWorkDirs();
    }, 60_000);
    body(state);
  });
}
