'use strict';
// Offset pagination as in @onkernel/sdk: X-Has-More / X-Next-Offset, stop on offset 0 or
// has-more false; `for await` walks every item, fetching the next page only when needed.
// Which page comes next is the core's rule (`Page::next_page_offset`), not this module's.

const { KernelError, errorFromFailure } = require('./errors');
const { APIPromise } = require('./api-promise');

class OffsetPagination {
  #fetchPage;
  #nextPageOffset;
  #nextPageError;

  /**
   * @param {{ items: unknown[], has_more: boolean | null, next_offset: number | null, next_page_offset: number | null, next_page_error: object | null }} page
   *   `next_page_offset` is the core's answer to "which page next?", `next_page_error` its
   *   NativeFailure when the server's next offset would not advance (`Page::next_page_offset`)
   * @param {(offset: number) => PagePromise} fetchPage asks for the page at an offset
   */
  constructor(page, fetchPage) {
    this.items = page.items;
    this.has_more = page.has_more;
    this.next_offset = page.next_offset;
    this.#nextPageOffset = page.next_page_offset;
    this.#nextPageError = page.next_page_error;
    this.#fetchPage = fetchPage;
  }

  getPaginatedItems() {
    return this.items;
  }

  /** True also when the server's next offset would not advance: `getNextPage()` says why. */
  hasNextPage() {
    return this.#nextPageOffset !== null || this.#nextPageError !== null;
  }

  getNextPage() {
    if (this.#nextPageError !== null) return Promise.reject(errorFromFailure(this.#nextPageError));
    if (!this.hasNextPage()) {
      return Promise.reject(
        new KernelError('No next page expected; please check `.hasNextPage()` before calling `.getNextPage()`.'),
      );
    }
    return this.#fetchPage(this.#nextPageOffset);
  }

  async *iterPages() {
    let page = this;
    yield page;
    while (page.hasNextPage()) {
      page = await page.getNextPage();
      yield page;
    }
  }

  async *[Symbol.asyncIterator]() {
    for await (const page of this.iterPages()) yield* page.items;
  }
}

/** Awaits to the first page; `for await` over it walks the items of every page. */
class PagePromise extends APIPromise {
  async *[Symbol.asyncIterator]() {
    const page = await this;
    yield* page;
  }
}

module.exports = { OffsetPagination, PagePromise };
