// The home page: every item with its price and the shop selling it.
import type { RequestFlags } from './flag-request.ts';
import { off } from './flags.ts';
import { html } from './html.ts';
import { layout } from './layout.ts';

export interface ItemRow {
  id: number;
  title: string;
  priceCents: number;
  shop: string;
}

/** What the home page shows before its flags are asked. */
export interface HomeView {
  shopName: string;
  servedBy: string;
  items: readonly ItemRow[];
}

export interface HomePage extends HomeView {
  saleBanner: boolean;
  /** the variant of the flag new_banner ("off": no banner) */
  newBanner?: string;
}

export function formatPrice(cents: number): string {
  return `$${(cents / 100).toFixed(2)}`;
}

/** The home page for one request: the page asks its own flags, on the request's reader. */
export function homePage(view: HomeView, flags: Pick<RequestFlags, 'variant'>): string {
  return renderHomePage({
    ...view,
    saleBanner: flags.variant('sale_banner') !== off,
    newBanner: flags.variant('new_banner'),
  });
}

export function renderHomePage(page: HomePage): string {
  const rows = page.items.map(
    (item) =>
      html`<tr><td><a href="/items/${String(item.id)}">${item.title}</a></td><td class="price">${formatPrice(item.priceCents)}</td><td>${item.shop}</td></tr>`,
  );
  const newBanner = page.newBanner ?? 'off';
  const body = html`${page.saleBanner && html`<p class="banner">Sale this week: everything must go.</p>`}
${newBanner !== 'off' && html`<p class="banner banner-${newBanner}" data-flag="new_banner" data-variant="${newBanner}">New: find something made by hand today.</p>`}
<h2>Items</h2>
${
  page.items.length === 0
    ? html`<p>No items yet.</p>`
    : html`<table><thead><tr><th>Item</th><th>Price</th><th>Shop</th></tr></thead><tbody>${rows}</tbody></table>`
}`;
  return layout({ shopName: page.shopName, title: page.shopName, body, servedBy: page.servedBy });
}

/** One item's page: what it is, its price and its shop. */
export function renderItemPage(view: { shopName: string; servedBy: string; item: ItemRow }): string {
  const { item } = view;
  const body = html`<p><a href="/">All items</a></p>
<h2>${item.title}</h2>
<p class="price">${formatPrice(item.priceCents)}</p>
<p>Sold by ${item.shop}.</p>`;
  return layout({ shopName: view.shopName, title: `${item.title}: ${view.shopName}`, body, servedBy: view.servedBy });
}
