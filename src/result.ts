// The one shape of "it worked, here is the value; or it did not, here is
// why", used from the parser to the IPC reply. Failures are values, so no
// caller has to guess which exceptions a step might throw.

export type Result<T = undefined, E = string> = Ok<T> | Err<E>;

export interface Ok<T> {
  readonly ok: true;
  readonly value: T;
}

export interface Err<E = string> {
  readonly ok: false;
  readonly error: E;
}

export function ok(): Ok<undefined>;
export function ok<T>(value: T): Ok<T>;
export function ok<T>(value?: T): Ok<T | undefined> {
  return { ok: true, value };
}

export function fail<E = string>(error: E): Err<E> {
  return { ok: false, error };
}
