import { expect } from 'chai';

import { WriteBuffer } from '../../src/sync/write-buffer.ts';

const w = (id: string, value = 0) => ({ contact: { id }, value });

describe('write buffer', () => {
  it('sends only whole calls across pages, and checkpoints a page once its writes and all before are acknowledged', () => {
    const buffer = new WriteBuffer<ReturnType<typeof w>>(3);
    buffer.addPage([w('a'), w('b')], 'p1');
    expect(buffer.nextCall(false), 'two writes do not fill a call of three').to.deep.equal([]);
    expect(buffer.checkpoint()).to.equal(undefined);
    buffer.addPage([], 'p2'); // nothing to write on this page
    buffer.addPage([w('c'), w('d')], 'p3');
    expect(buffer.nextCall(false).map((x) => x.contact.id)).to.deep.equal(['a', 'b', 'c']);
    expect(buffer.checkpoint(), 'not before the call is acknowledged').to.equal(undefined);
    buffer.acknowledge(3);
    expect(buffer.checkpoint(), 'pages 1 and 2 done; page 3 still waits for d').to.equal('p2');
    expect(buffer.nextCall(false)).to.deep.equal([]);
    expect(buffer.nextCall(true).map((x) => x.contact.id)).to.deep.equal(['d']);
    buffer.acknowledge(1);
    expect(buffer.checkpoint()).to.equal('p3');
    expect(buffer.checkpoint(), 'moves once').to.equal(undefined);
  });

  it('writes a record still waiting from an earlier page once, with the newer plan; pages without a cursor move nothing', () => {
    const buffer = new WriteBuffer<ReturnType<typeof w>>(10);
    buffer.addPage([w('a', 1), w('b', 1)], null);
    buffer.addPage([w('a', 2)], 'p2');
    expect(buffer.nextCall(true).map((x) => [x.contact.id, x.value])).to.deep.equal([
      ['b', 1],
      ['a', 2],
    ]);
    buffer.acknowledge(2);
    expect(buffer.checkpoint()).to.equal('p2');
    buffer.addPage([], null);
    expect(buffer.checkpoint()).to.equal(undefined);
  });
});
