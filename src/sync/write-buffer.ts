// Writes waiting to fill whole write calls across page boundaries (a page's last call would otherwise go out part
// full), and the checkpoint they hold back: a page's cursor is saved only once its writes, and every earlier page's,
// were acknowledged. A crash loses only the re-reading of the pages after the checkpoint; the records already
// written there are found unchanged by their sync state, so nothing is written twice.

interface PendingPage {
  seq: number;
  /** Where a read resumes after this page; null: a page that moves no checkpoint (retries, a targeted run). */
  cursor: string | null;
}

export class WriteBuffer<W extends { contact: { id: string } }> {
  readonly #writes: { item: W; page: number }[] = [];
  readonly #pages: PendingPage[] = [];
  #nextSeq = 0;

  readonly callSize: number;

  constructor(callSize: number) {
    this.callSize = callSize;
  }

  get size(): number {
    return this.#writes.length;
  }

  /**
   * A page's writes, after the writes of the pages before it. A record still waiting from an earlier page is written
   * once, with this page's (newer) plan.
   */
  addPage(items: readonly W[], cursor: string | null): void {
    const seq = this.#nextSeq++;
    const ids = new Set(items.map((w) => w.contact.id));
    if (ids.size > 0 && this.#writes.some((w) => ids.has(w.item.contact.id))) {
      const kept = this.#writes.filter((w) => !ids.has(w.item.contact.id));
      this.#writes.splice(0, this.#writes.length, ...kept);
    }
    for (const item of items) this.#writes.push({ item, page: seq });
    this.#pages.push({ seq, cursor });
  }

  /** The oldest writes that fill one call (with `all`, also a last part-full one); empty when none is due. */
  nextCall(all: boolean): W[] {
    if (this.#writes.length === 0 || (!all && this.#writes.length < this.callSize)) return [];
    return this.#writes.slice(0, this.callSize).map((w) => w.item);
  }

  /** The first `count` writes were sent and their outcomes recorded. */
  acknowledge(count: number): void {
    this.#writes.splice(0, count);
  }

  /**
   * The cursor to save now: the newest page whose writes, and every earlier page's, are acknowledged; undefined when
   * the checkpoint does not move.
   */
  checkpoint(): string | undefined {
    const oldestWaiting = this.#writes[0]?.page ?? Number.POSITIVE_INFINITY;
    let cursor: string | undefined;
    while (this.#pages.length > 0 && this.#pages[0]!.seq < oldestWaiting) {
      cursor = this.#pages.shift()!.cursor ?? cursor;
    }
    return cursor;
  }
}
