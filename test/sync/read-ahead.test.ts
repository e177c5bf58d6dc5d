// The engine reads the CRM one page ahead: the next page's read overlaps the current page's network look-ups and
// writes; never more than one page ahead; a stop drops the page read ahead and closes the read.
import { expect } from 'chai';

import { readAhead } from '../../src/sync/read-ahead.ts';

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

describe('read ahead', () => {
  function pages(count: number, events: string[], failAt?: number) {
    return (async function* () {
      try {
        for (let page = 1; page <= count; page++) {
          events.push(`read ${page} asked`);
          await tick();
          if (page === failAt) throw new Error(`page ${page}: HTTP 500`);
          events.push(`read ${page} done`);
          yield page;
        }
      } finally {
        events.push('source closed');
      }
    })();
  }

  it('asks for the next page while the current one is processed, one page ahead at most', async () => {
    const events: string[] = [];
    for await (const page of readAhead(pages(3, events))) {
      events.push(`process ${page} start`);
      await tick();
      await tick();
      events.push(`process ${page} end`);
    }
    expect(events).to.deep.equal([
      'read 1 asked',
      'read 1 done',
      'read 2 asked',
      'process 1 start',
      'read 2 done',
      'process 1 end',
      'read 3 asked',
      'process 2 start',
      'read 3 done',
      'process 2 end',
      // Asked for a fourth page while the third is processed: there is none.
      'source closed',
      'process 3 start',
      'process 3 end',
    ]);
  });

  it('a stop drops the page read ahead and closes the source; a failed read surfaces after the page before it', async () => {
    const events: string[] = [];
    for await (const page of readAhead(pages(5, events))) {
      events.push(`process ${page}`);
      if (page === 2) break;
    }
    expect(events.filter((e) => e.startsWith('read') && e.endsWith('asked'))).to.deep.equal([
      'read 1 asked',
      'read 2 asked',
      'read 3 asked',
    ]);
    expect(events.at(-1)).to.equal('source closed');
    expect(events).to.not.include('process 3');

    const failing: string[] = [];
    const processed: number[] = [];
    const error = await (async () => {
      for await (const page of readAhead(pages(5, failing, 2))) {
        await tick();
        processed.push(page);
      }
    })().then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(processed).to.deep.equal([1]);
    expect(error?.message).to.equal('page 2: HTTP 500');
  });
});
