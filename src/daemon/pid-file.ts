// The PID file: written beside its final name and renamed into place (never through a link),
// touched on reload, removed at exit only while it still holds our PID. Knows nothing of when.

import {
  closeSync,
  constants,
  fchownSync,
  lutimesSync,
  openSync,
  lstatSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { describeSystemError } from '../errors.js';
import { fail, ok, type Result } from '../result.js';

/** The owner the file is given (-p), so a reload after the drop can still touch it. */
export interface PidOwner {
  readonly uid: number;
  readonly gid: number;
}

// O_EXCL | O_NOFOLLOW make a taken name fail rather than follow it, so the suffix need only be unlikely
// to collide; Math.random spares the daemon node:crypto (about 2.5 MiB resident, issue 8).
const tmpSuffix = (): string => `${process.pid}.${Math.random().toString(36).slice(2, 10)}`;

const { O_WRONLY, O_RDONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = constants;

export class PidFile {
  /** The written file not yet renamed into place. */
  private staged?: string;

  constructor(
    readonly path: string,
    private readonly owner?: PidOwner,
    /** A chown that fails (say, on NFS) is not worth refusing to start over: said, not fatal. */
    private readonly warn: (message: string) => void = () => {},
    private readonly pid: number = process.pid,
  ) {}

  /**
   * Writes our PID to a new file beside the final name, so that a directory that is read-only
   * or full is found before anything else is done; `commit` puts it in place. O_EXCL creates
   * a new file and never follows a link planted in its place.
   */
  stage(): Result {
    this.discard();
    const tmp = join(dirname(this.path), `.${basename(this.path)}.${tmpSuffix()}`);
    let fd: number;
    try {
      fd = openSync(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o644);
    } catch (err) {
      return fail(`Cannot create PID file ${this.path}: ${describeSystemError(err)}`);
    }
    this.staged = tmp;
    try {
      writeSync(fd, `${this.pid}\n`);
    } catch (err) {
      closeSync(fd);
      this.discard();
      return fail(`Cannot write PID file ${this.path}: ${describeSystemError(err)}`);
    }
    try {
      if (this.owner) fchownSync(fd, this.owner.uid, this.owner.gid);
    } catch (err) {
      this.warn(`Cannot give PID file ${this.path} to UID ${this.owner?.uid}: ${describeSystemError(err)}`);
    }
    closeSync(fd);
    return ok();
  }

  /** Renames the staged file over the final name: atomic, and replaces a link itself, not its target. */
  commit(): Result {
    const tmp = this.staged;
    if (tmp === undefined) return fail(`PID file ${this.path} was not written`);
    try {
      renameSync(tmp, this.path);
    } catch (err) {
      this.discard();
      return fail(`Cannot create PID file ${this.path}: ${describeSystemError(err)}`);
    }
    this.staged = undefined;
    return ok();
  }

  /** stage + commit, for a reload that finds the file gone. */
  write(): Result {
    const staged = this.stage();
    return staged.ok ? this.commit() : staged;
  }

  /**
   * A reload tells watchers the daemon is alive by the file's time, as upstream does. A link
   * in its place is touched itself, not what it points to.
   */
  touch(): Result {
    try {
      const now = new Date();
      lutimesSync(this.path, now, now);
      return ok();
    } catch (err) {
      return fail(describeSystemError(err));
    }
  }

  /** Whether the file at the path (not a link's target) holds our PID. */
  holdsOurPid(): boolean {
    let fd: number;
    try {
      fd = openSync(this.path, O_RDONLY | O_NOFOLLOW);
    } catch {
      return false;
    }
    try {
      return readFileSync(fd, 'latin1').trim() === String(this.pid);
    } catch {
      return false;
    } finally {
      closeSync(fd);
    }
  }

  /**
   * Removes the file if it is still ours: another instance may have written its own since, and
   * that one must stay. Says which it was, or why it could not be removed.
   */
  remove(): Result<'removed' | 'absent' | 'not ours'> {
    this.discard();
    if (!this.holdsOurPid()) {
      try {
        lstatSync(this.path);
      } catch {
        return ok('absent');
      }
      return ok('not ours');
    }
    try {
      unlinkSync(this.path);
      return ok('removed');
    } catch (err) {
      return fail(describeSystemError(err));
    }
  }

  /** Removes a staged file that never made it into place. */
  private discard(): void {
    if (this.staged === undefined) return;
    try {
      unlinkSync(this.staged);
    } catch {
      // Gone already, or the directory became read-only: nothing more to do with it.
    }
    this.staged = undefined;
  }
}
