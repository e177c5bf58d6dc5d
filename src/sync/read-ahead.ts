// The CRM's pages, one read ahead: the next page is asked for while the engine works on the current one, so a run's
// CRM reads overlap its network look-ups and writes and the run is bound by the slower of them, not by their sum
// (HubSpot: one portal limit shared by reads and writes; Salesforce: its concurrent-request limit). At most one page
// is held ahead, and its cursor is only saved once it has been processed like any other page.
export async function* readAhead<T>(source: AsyncIterable<T>): AsyncGenerator<T, void, undefined> {
  const iterator = source[Symbol.asyncIterator]();
  let next = iterator.next();
  try {
    for (;;) {
      const result = await next;
      if (result.done === true) return;
      next = iterator.next();
      // A failed read surfaces when it is awaited (next turn), not as an unhandled rejection meanwhile.
      next.catch(() => undefined);
      yield result.value;
    }
  } finally {
    // The engine stopped early (budget, interrupt, error): the page read ahead is dropped and the source closed.
    await next.catch(() => undefined);
    await iterator.return?.();
  }
}
