/// <reference lib="dom" />
import { useClientHarness } from '../utils/browser';

const FORM = `<!doctype html>
<form id="f">
  <input name="text" value="t1">
  <input name="text" value="t2">
  <input value="no name">
  <input name="off" value="x" disabled>
  <fieldset disabled><input name="inFieldset" value="x"></fieldset>
  <input type="checkbox" name="cbOn" checked>
  <input type="checkbox" name="cbOff" value="x">
  <input type="radio" name="r" value="a">
  <input type="radio" name="r" value="b" checked>
  <select name="multi" multiple>
    <option value="1" selected>1</option><option value="2">2</option><option value="3" selected>3</option>
  </select>
  <select name="single"><option value="s1">1</option><option value="s2" selected>2</option></select>
  <textarea name="area">long text</textarea>
  <input type="submit" name="go" value="Go">
  <input type="button" name="btn" value="B">
  <input type="file" name="upload">
  <input name="tbx[nested]" value="n">
  <input name="deep[a][b]" value="d">
  <input name="list[]" value="l1">
  <input name="list[]" value="l2">
  <input name="tags[x][]" value="x1">
  <input name="tags[x][]" value="x2">
  <select name="picked[]" multiple><option selected>p1</option><option selected>p2</option></select>
  <input name="my-field[x]" value="skipped">
  <input name="bad[x" value="skipped">
  <input name="__proto__[polluted]" value="bad">
  <input name="obj[__proto__][polluted]" value="bad">
  <input name="obj[constructor][prototype][polluted]" value="bad">
  <input name="obj[ok]" value="fine">
  <input name="prototype" value="bad">
</form>
<div id="outside"><input name="outside" value="o"></div>
<script src="/sijax/sijax.js"></script>`;

describe('Sijax.getFormValues (Chromium)', () => {
  const harness = useClientHarness();

  it('follows the original rules: disabled, checkboxes, radios, selects, nesting, skipped names', async () => {
    harness.server.serve('/', FORM, { 'Content-Type': 'text/html' });
    const { page } = await harness.open();
    const values = await page.evaluate(() => window.Sijax.getFormValues('#f'));
    expect(values).toEqual({
      text: 't2',
      cbOn: 'on',
      r: 'b',
      multi: ['1', '3'],
      single: 's2',
      area: 'long text',
      go: 'Go',
      btn: 'B',
      upload: '',
      tbx: { nested: 'n' },
      deep: { a: { b: 'd' } },
      list: ['l1', 'l2'],
      tags: { x: ['x1', 'x2'] },
      picked: ['p1', 'p2'],
      obj: { ok: 'fine' },
    });
  });

  it('never pollutes Object.prototype and returns plain objects', async () => {
    harness.server.serve('/', FORM, { 'Content-Type': 'text/html' });
    const { page } = await harness.open();
    const result = await page.evaluate(() => {
      const values = window.Sijax.getFormValues('#f') as Record<string, Record<string, unknown>>;
      return {
        polluted: ({} as Record<string, unknown>).polluted ?? null,
        plain: Object.getPrototypeOf(values.obj) === Object.prototype,
        ownProto: Object.prototype.hasOwnProperty.call(values, '__proto__'),
      };
    });
    expect(result).toEqual({ polluted: null, plain: true, ownProto: false });
  });

  it('reads every matched container once and nothing outside them', async () => {
    harness.server.serve('/', FORM, { 'Content-Type': 'text/html' });
    const { page } = await harness.open();
    expect(await page.evaluate(() => window.Sijax.getFormValues('#f, body'))).toMatchObject({
      outside: 'o',
      list: ['l1', 'l2'],
    });
    expect(await page.evaluate(() => window.Sijax.getFormValues('#outside'))).toEqual({
      outside: 'o',
    });
  });

  it('lets a later plain key overwrite an earlier nested one and vice versa', async () => {
    harness.server.serve(
      '/',
      '<form id="f"><input name="a[b]" value="1"><input name="a" value="2">' +
        '<input name="c" value="3"><input name="c[]" value="4"></form>' +
        '<script src="/sijax/sijax.js"></script>',
      { 'Content-Type': 'text/html' },
    );
    const { page } = await harness.open();
    expect(await page.evaluate(() => window.Sijax.getFormValues('#f'))).toEqual({
      a: '2',
      c: ['4'],
    });
  });
});
