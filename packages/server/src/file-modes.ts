import { chmodSync, existsSync, statSync } from 'node:fs';

/** A permission change made at start, for the log. */
export interface ModeChange {
  path: string;
  from: string;
  to: string;
}

const octal = (mode: number) => `0${(mode & 0o777).toString(8)}`;

/**
 * Removes every permission bit of `path` outside `allowed` (0700 for the data directory, 0600
 * for the secret and the database files): what the server owns is readable by its user only.
 * Returns what changed, or null when nothing had to. A path it cannot tighten (owned by another
 * user, a read-only mount) stops the start with the command that would fix it, rather than run
 * with a secret or the database open to other users. Windows has no such modes: skipped.
 */
export function tightenMode(path: string, allowed: number): ModeChange | null {
  if (process.platform === 'win32' || !existsSync(path)) return null;
  const current = statSync(path).mode & 0o777;
  if ((current & ~allowed) === 0) return null;
  const wanted = current & allowed;
  try {
    chmodSync(path, wanted);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new Error(
      `${path} is open to other users (mode ${octal(current)}) and the server cannot change that (${code}); ` +
        `fix it with: chmod ${octal(wanted)} ${path}`,
    );
  }
  return { path, from: octal(current), to: octal(wanted) };
}

/** SQLite's companion files, which hold recent writes and so the same data as the database. */
const COMPANIONS = ['', '-wal', '-shm', '-journal'];

/**
 * The database and its companion files narrowed to 0600 before the store opens them (the store
 * sets a new database to 0600 itself, and SQLite gives its -wal and -shm files the same mode).
 */
export function secureDatabaseFiles(databaseFile: string): ModeChange[] {
  return COMPANIONS.map((suffix) => tightenMode(`${databaseFile}${suffix}`, 0o600)).filter(
    (change): change is ModeChange => change !== null,
  );
}
