/** Exit codes (sysexits values, so cron mail and Monit can tell failures apart) and the errors that carry them. */
export const ExitCode = {
  Ok: 0,
  Internal: 1,
  Usage: 64,
  /** Input data is damaged beyond use (e.g. the deny file's autoban markers were edited), or `ban` was refused. */
  DataErr: 65,
  /** A configured log file (or a file named on the command line) does not exist, or an input cannot be read. */
  NoInput: 66,
  /** Sync with S3 / the shared directory failed; local protection was still applied. */
  Unavailable: 69,
  /** A firewall backend command failed (missing binary, no privilege); the deny file was still written. */
  Backend: 71,
  /** A file could not be written (disk full, read-only, permission). Nothing was left half-written. */
  CantCreate: 73,
  /** Another autoban held the lock for longer than lock_timeout; the next run retries. */
  LockBusy: 75,
  /** The configuration is invalid. */
  Config: 78,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** An expected failure with a one-line message and the exit code it maps to. */
export class AppError extends Error {
  constructor(
    readonly code: ExitCodeValue,
    message: string,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

/** Every problem found in a config file, reported at once as "file: key: message" lines. */
export class ConfigError extends AppError {
  constructor(readonly problems: string[]) {
    super(ExitCode.Config, problems.join('\n'));
    this.name = 'ConfigError';
  }
}

/** Maps a failed file write to a one-line AppError that names the file and the reason. */
export function writeError(file: string, err: unknown): AppError {
  const e = err as NodeJS.ErrnoException;
  const why =
    e?.code === 'ENOSPC'
      ? 'no space left on device'
      : e?.code === 'EACCES' || e?.code === 'EPERM'
        ? 'permission denied'
        : e?.code === 'EROFS'
          ? 'read-only file system'
          : (e?.message ?? String(err));
  return new AppError(ExitCode.CantCreate, `cannot write ${file}: ${why}`);
}
