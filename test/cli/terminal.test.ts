// stderr as the CLI shares it: the live progress line never runs into a log line, its counts are not left on screen,
// and log lines are one plain line per event (JSON only when asked).
import { Writable } from 'node:stream';

import { expect } from 'chai';

import { createProgress } from '../../src/cli/progress.ts';
import { StderrTerminal } from '../../src/cli/terminal.ts';
import { createLogger, formatLogLine } from '../../src/log.ts';
import type { SyncProgress } from '../../src/sync/engine.ts';

const ERASE = '\r\u001b[2K';

function fakeStream(tty: boolean): NodeJS.WriteStream & { text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write: (chunk: Buffer | string, _encoding, done) => {
      chunks.push(String(chunk));
      done();
    },
  }) as unknown as NodeJS.WriteStream & { text: () => string };
  Object.assign(stream, { isTTY: tty, columns: 200, text: () => chunks.join('') });
  return stream;
}

function page(pages: number, read: number, writes: number, dryRun = false): SyncProgress {
  const written = dryRun ? { written: 0, wouldWrite: writes } : { written: writes };
  return {
    phase: 'pages',
    pages,
    counts: { read, scored: read, unscored: 0, ...written, unchanged: read - writes, optedOut: 0, failed: 0 },
  };
}

describe('the CLI terminal (stderr)', () => {
  it('on a terminal, clears the progress line before a log line and redraws it after; stop leaves no counts', () => {
    const stream = fakeStream(true);
    const terminal = new StderrTerminal(stream);
    const logger = createLogger({ level: 'info', destination: terminal.logDestination(), pretty: false });
    const progress = createProgress({ terminal });
    progress.update(page(1, 200, 50));
    logger.warn({ network: 'github' }, 'rate limit reached');
    progress.update(page(2, 400, 90));
    progress.stop();
    const text = stream.text();
    // Every log line starts on a cleared line: never "…failed 0WARN …".
    const logAt = text.indexOf('rate limit reached');
    const lineStart = text.lastIndexOf(ERASE, logAt);
    const prefix = text.slice(lineStart + ERASE.length, logAt);
    expect(prefix.replaceAll('\u001b', 'ESC')).to.match(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ ESC\[33mwarn ESC\[0m $/);
    expect(text.slice(0, lineStart), 'the progress line was on screen before').to.include('sync page 1 · read 200');
    expect(text.slice(logAt), 'redrawn after the log line').to.match(/network=github\n.*sync page 1 · read 200/s);
    expect(text.endsWith(ERASE), 'the live line is cleared at the end: the summary prints the counts once').to.equal(
      true,
    );
    expect(text.split('\n'), 'no newline inside the live line').to.have.length(2);
  });

  it('on a pipe, writes one plain line per event: progress pages and log lines, JSON only with --log-format json', () => {
    const stream = fakeStream(false);
    const terminal = new StderrTerminal(stream);
    const logger = createLogger({ level: 'info', destination: terminal.logDestination(), pretty: false });
    const progress = createProgress({ terminal, dryRun: true });
    progress.update(page(1, 200, 50, true));
    logger.error({ err: new Error('socket hang up\n    at stack frame') }, 'network failed');
    terminal.logFormat = 'json';
    logger.info({ runId: 'r1' }, 'sync finished');
    progress.stop();
    const lines = stream.text().split('\n');
    expect(stream.text()).to.not.include('\u001b');
    expect(lines[0]).to.equal('sync page 1 · read 200 · would write 50 · unchanged 150 · failed 0');
    expect(lines[1]).to.match(/Z error network failed err="socket hang up\\n {4}at stack frame"$/);
    expect(JSON.parse(lines[2]!)).to.deep.include({ runId: 'r1', msg: 'sync finished', level: 30 });
    expect(lines.slice(3)).to.deep.equal(['']);
  });

  it('formats any JSON log line as one line, and leaves a non-JSON line as it is', () => {
    expect(formatLogLine('{"level":40,"time":0,"msg":"two\\nlines","note":"a b","n":3,"obj":{"k":1}}')).to.equal(
      '1970-01-01 00:00:00Z warn  two\\nlines note="a b" n=3 obj={"k":1}',
    );
    expect(formatLogLine('not json')).to.equal('not json');
  });
});
