import { SijaxError } from '../errors/sijax.error';
import { CometResponse } from './comet-response';
import { SijaxResponse } from './sijax-response';

describe('SijaxResponse', () => {
  const response = () => new SijaxResponse({} as never, 'fn');

  it('queues chainable commands in order', () => {
    const r = response().alert('a').remove('.x').css('#y', 'width', 10);
    expect(r.pendingCommands).toEqual([
      { type: 'alert', alert: 'a' },
      { type: 'remove', remove: '.x' },
      { type: 'css', selector: '#y', key: 'width', value: 10 },
    ]);
  });

  it('makes redirect a script command with a JSON string', () => {
    expect(response().redirect('/a"b').pendingCommands).toEqual([
      { type: 'script', script: 'window.location = "/a\\"b";' },
    ]);
  });

  it('call() takes an array or null and refuses anything else (original test 19)', () => {
    expect(response().call('f').pendingCommands).toEqual([{ type: 'call', call: 'f', params: [] }]);
    expect(response().call('f', null).pendingCommands).toEqual([
      { type: 'call', call: 'f', params: [] },
    ]);
    expect(response().call('f', [1]).pendingCommands).toEqual([
      { type: 'call', call: 'f', params: [1] },
    ]);
    for (const bad of ['str', 5, { a: 1 }]) {
      expect(() => response().call('f', bad as never)).toThrow(SijaxError);
    }
  });

  it('addCommand keeps its type over a type field in params', () => {
    expect(response().addCommand('json', { type: 'other', data: 1 }).pendingCommands).toEqual([
      { type: 'json', data: 1 },
    ]);
  });

  it('takeCommands hands over the batch once and clearCommands drops it', () => {
    const r = response().alert('1');
    expect(r.takeCommands()).toEqual([{ type: 'alert', alert: '1' }]);
    expect(r.takeCommands()).toBeNull();
    r.alert('2').clearCommands();
    expect(r.takeCommands()).toBeNull();
  });

  it('signal fires on abort, also when read after the abort', () => {
    const early = response();
    const signal = early.signal;
    early.abort('gone');
    expect(signal.aborted).toBe(true);
    const late = response();
    late.abort('gone');
    expect(late.signal.aborted).toBe(true);
    expect(late.signal.reason).toBe('gone');
  });

  it('CometResponse offers the same commands', () => {
    expect(new CometResponse({} as never).attr('#a', 'disabled', true).pendingCommands).toEqual([
      { type: 'attr', selector: '#a', key: 'disabled', value: true, setType: 'replace' },
    ]);
  });
});
