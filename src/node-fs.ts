// The program's one handle on node:fs, taken from the built-in module itself rather than through an ES
// import. Owns no file logic; callers import the functions they use from here instead of from node:fs.

// An ES import of node:fs reads every export of the module, which loads fs.promises and with it
// readline: about 2.3 MiB resident that the daemon never uses (idle footprint, issue 8).
const fs = process.getBuiltinModule('node:fs');

export const {
  accessSync,
  chmodSync,
  chownSync,
  closeSync,
  constants,
  existsSync,
  fchownSync,
  fstatSync,
  lstatSync,
  lutimesSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} = fs;
