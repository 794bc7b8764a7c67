// The client-side drawing of show replies, byte for byte as upstream's
// smcroutectl print() does it (plain rules, ANSI attributes, -t).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderReply as render, type RenderOptions } from '../../src/show/render.js';

const reply = (s: string) => Buffer.from(s, 'latin1');
/** The rendered bytes as a latin1 string (one char per byte), for readable comparisons. */
const renderReply = (r: Buffer, opts: RenderOptions): string => Buffer.concat(render(r, opts)).toString('latin1');
const plain: RenderOptions = { heading: true, plain: true, width: () => assert.fail('plain mode must not ask the width') };

test('plain: titles over a rule of 79 underscores, headings between rules of 79 "="', () => {
  const out = renderReply(reply('Kernel MFC Table_\nROUTE (S,G)   IIF  OIFS=\n(*, 225.1.2.3) e0  e1\n\0'), plain);
  assert.equal(
    out,
    `${'_'.repeat(79)}\nKernel MFC Table\n` +
      `${'='.repeat(79)}\nROUTE (S,G)   IIF  OIFS\n${'='.repeat(79)}\n` +
      '(*, 225.1.2.3) e0  e1\n' +
      // the status NUL is read as one more, empty, line
      '\n',
  );
});

test('plain: rules grow with lines longer than 79 characters', () => {
  const heading = 'H'.repeat(82);
  assert.equal(renderReply(reply(`${heading}=\n\0`), plain), `${'='.repeat(82)}\n${heading}\n${'='.repeat(82)}\n\n`);
  const title = 'T'.repeat(80);
  assert.equal(renderReply(reply(`${title}_\n\0`), plain), `${'_'.repeat(80)}\n${title}\n\n`);
});

test('-t drops titles and headings, keeps everything else', () => {
  const opts: RenderOptions = { heading: false, plain: false, width: () => assert.fail('no width needed') };
  assert.equal(renderReply(reply('Title_\nHEAD  COLS=\nrow 1\nrow 2\n\0'), opts), 'row 1\nrow 2\n\n');
  assert.equal(renderReply(reply('Title_\nHEAD  COLS=\nrow 1\n\0'), { ...plain, heading: false }), 'row 1\n\n');
});

test('ANSI: underlined blank line of terminal width above a title, reverse-video heading padded to the width', () => {
  let asked = 0;
  const opts: RenderOptions = { heading: true, plain: false, width: () => (asked++, 30) };
  assert.equal(
    renderReply(reply('Title_\nHEAD  COLS=\nrow\n\0'), opts),
    `\x1b[4m${' '.repeat(30)}\x1b[0m\nTitle\n` + `\x1b[7mHEAD  COLS${' '.repeat(20)}\x1b[0m\n` + 'row\n\n',
  );
  assert.equal(asked, 2, 'the width is asked once per title or heading');
});

test('ANSI: a heading wider than the terminal still gets padding, as printf "%*s" with a negative width', () => {
  const opts: RenderOptions = { heading: true, plain: false, width: () => 10 };
  const heading = 'X'.repeat(14);
  assert.equal(renderReply(reply(`${heading}=\n\0`), opts), `\x1b[7m${heading}${' '.repeat(4)}\x1b[0m\n\n`);
});

test('an empty reply or a bare status byte prints nothing', () => {
  assert.equal(renderReply(reply(''), plain), '');
  assert.equal(renderReply(reply('\0'), plain), '');
});

test('an error after show text is printed as a last line, without the extra empty line', () => {
  assert.equal(
    renderReply(reply('No pending routes or groups\nsomething failed\0'), plain),
    'No pending routes or groups\nsomething failed\n',
  );
});

test('one-character lines are never titles or headings; text past a NUL is ignored', () => {
  assert.equal(renderReply(reply('_\n=\nab\0cd\n\0'), plain), '_\n=\nab\n\n');
  // "x_" is the shortest title
  assert.equal(renderReply(reply('x_\n\0'), plain), `${'_'.repeat(79)}\nx\n\n`);
});

test('bytes pass through unchanged (latin1 in, latin1 out)', () => {
  const raw = Buffer.from([0x77, 0x6c, 0xc3, 0xa4, 0x6e, 0x30, 0x0a, 0x00]); // "wlän0\n" in UTF-8, then NUL
  assert.deepEqual(Buffer.from(renderReply(raw, plain), 'latin1'), Buffer.from([0x77, 0x6c, 0xc3, 0xa4, 0x6e, 0x30, 0x0a, 0x0a]));
});

/** The rule line by line, written out plainly: what the fast pass-through must agree with. */
function lineByLine(raw: Buffer, opts: RenderOptions): string {
  if (raw.length <= 1) return '';
  let out = '';
  for (let pos = 0; pos < raw.length;) {
    const nl = raw.indexOf(0x0a, pos);
    const end = nl < 0 ? raw.length : nl + 1;
    const piece = raw.subarray(pos, end);
    const nul = piece.indexOf(0);
    const line = piece.toString('latin1', 0, nul < 0 ? piece.length : nul).replace(/\n$/, '');
    pos = end;
    const mark = line.length >= 2 ? line[line.length - 1] : undefined;
    if (mark !== '_' && mark !== '=') {
      out += `${line}\n`;
      continue;
    }
    if (!opts.heading) continue;
    const text = line.slice(0, -1);
    const rule = mark.repeat(Math.max(text.length, 79));
    if (opts.plain) out += mark === '_' ? `${rule}\n${text}\n` : `${rule}\n${text}\n${rule}\n`;
    else if (mark === '_') out += `\x1b[4m${' '.repeat(opts.width())}\x1b[0m\n${text}\n`;
    else out += `\x1b[7m${text}${' '.repeat(Math.abs(opts.width() - text.length))}\x1b[0m\n`;
  }
  return out;
}

test('large replies: plain lines pass through, titles and headings anywhere are drawn, as line by line', () => {
  const rows = (n: number, tag: string) =>
    Array.from({ length: n }, (_, i) => `(10.0.${i >> 8}.${i & 255}, 225.${tag}) r0 r1\n`).join('');
  const cases = [
    `Title_\nHEAD  COLS=\n${rows(3000, 'a')}Second_\nH2=\n${rows(2000, 'b')}\0`,
    // marker characters inside lines, one-character marker lines, marker lines back to back
    `_\n=\na_b\nx=y\n${rows(10, 'c')}A_\nB=\n_\n${rows(10, 'd')}\0`,
    // text after a NUL inside a line is dropped; titles after it are still drawn
    `${rows(100, 'e')}ab\0cd_\nEF=\n${rows(5, 'f')}\0`,
    // no status NUL, and an unterminated title last
    `${rows(50, 'g')}Last_`,
    // an error after the show text
    `${rows(50, 'h')}failed=\0`,
    '=\n\0',
    'xy_\n',
  ];
  const widths = [0, 30, 100];
  for (const text of cases) {
    const raw = reply(text);
    for (const heading of [true, false]) {
      for (const isPlain of [true, false]) {
        for (const w of widths) {
          const opts: RenderOptions = { heading, plain: isPlain, width: () => w };
          assert.equal(
            renderReply(raw, opts),
            lineByLine(raw, opts),
            JSON.stringify({ text: text.slice(0, 40), heading, isPlain, w }),
          );
        }
      }
    }
  }
});
