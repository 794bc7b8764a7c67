// The client-side drawing of show replies, byte for byte as upstream's
// smcroutectl print() does it (plain rules, ANSI attributes, -t).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderReply, type RenderOptions } from '../../src/show/render.js';

const reply = (s: string) => Buffer.from(s, 'latin1');
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
