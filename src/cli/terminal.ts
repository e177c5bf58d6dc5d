// stderr as the CLI shares it: log lines, messages and the live progress line of a run. On a terminal the progress
// line is redrawn in place and cleared before any other line is written, so the two never run together; elsewhere
// (a pipe, a log file) there is no live line, only whole lines. Log lines are plain text, one per event, unless
// `--log-format json` asks for JSON lines (a log collector). One per process, like stderr itself.
import { Writable } from 'node:stream';

import { z } from 'zod';

import { formatLogLine } from '../log.ts';

export const LogFormatSchema = z.enum(['text', 'json'], {
  error: (issue) => `must be text or json (got ${JSON.stringify(issue.input)})`,
});
export type LogFormat = z.infer<typeof LogFormatSchema>;

/** Erase the current terminal line and go back to its start (VT100: carriage return, erase in line). */
const ERASE_LINE = '\r\u001b[2K';

export class StderrTerminal {
  readonly stream: NodeJS.WriteStream;
  logFormat: LogFormat = 'text';
  /** The live line on screen now ('' when none). */
  #status = '';

  constructor(stream: NodeJS.WriteStream = process.stderr) {
    this.stream = stream;
  }

  /** A terminal shows a live line; a pipe or a file gets whole lines only. */
  get live(): boolean {
    return this.stream.isTTY === true;
  }

  /** Writes whole lines (a trailing newline is added when missing), clearing the live line first and redrawing it after. */
  writeLine(text: string): void {
    const lines = text.endsWith('\n') ? text : `${text}\n`;
    if (this.#status === '') {
      this.stream.write(lines);
      return;
    }
    this.stream.write(`${ERASE_LINE}${lines}${this.#fit(this.#status)}`);
  }

  /** Shows (on a terminal) or replaces the live line; elsewhere writes it as a line of its own. */
  showStatus(text: string): void {
    if (!this.live) {
      this.writeLine(text);
      return;
    }
    this.#status = text;
    this.stream.write(`${ERASE_LINE}${this.#fit(text)}`);
  }

  /** Removes the live line: what it counted is printed once, in the summary that follows. */
  clearStatus(): void {
    if (this.#status === '') return;
    this.#status = '';
    this.stream.write(ERASE_LINE);
  }

  /** Where the logger writes: each line formatted (text) or as it is (json), through writeLine. */
  logDestination(): Writable {
    return new Writable({
      write: (chunk: Buffer | string, _encoding, done) => {
        for (const line of String(chunk).split('\n')) {
          if (line === '') continue;
          this.writeLine(this.logFormat === 'json' ? line : formatLogLine(line, { color: this.live }));
        }
        done();
      },
    });
  }

  /** A live line longer than the terminal is wide would wrap, and a wrapped line cannot be erased in place. */
  #fit(text: string): string {
    const width = this.stream.columns;
    return width !== undefined && width > 1 && text.length >= width ? `${text.slice(0, width - 2)}…` : text;
  }
}

/** The process's stderr. */
export const stderrTerminal = new StderrTerminal();
